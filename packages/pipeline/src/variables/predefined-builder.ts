/**
 * Shared pieces of the predefined variables: an ordered collector and the server/project URLs
 * GitLab derives from its configured external URL.
 */
import type { PipelineEvent } from "../event.js";
import type { Availability, Variable, VariableSource } from "./types.js";

/** Collects variables in order, skipping absent values. */
export class PredefinedBuilder {
  readonly out: Variable[] = [];
  source: VariableSource = "predefined";

  add(
    key: string,
    value: string | undefined,
    availability: Availability,
    extra?: Partial<Variable>,
  ): void {
    if (value === undefined) return;
    const variable: Variable = { key, value, public: true, source: this.source, availability };
    if (extra) Object.assign(variable, extra);
    this.out.push(variable);
  }
}

/** The server URL without a trailing slash. */
export function serverBase(event: PipelineEvent): string {
  return event.project.serverUrl.replace(/\/+$/, "");
}

export function projectWebUrl(event: PipelineEvent): string {
  return `${serverBase(event)}/${event.project.path}`;
}

export interface ServerParts {
  url: string;
  host: string;
  port: string;
  protocol: string;
  /** Host, plus `:port` when the port is not the protocol's default. */
  fqdn: string;
}

/** `CI_SERVER_*` from the server URL (GitLab's `gitlab.url`, `gitlab.host`, `gitlab.port`, …). */
export function serverParts(event: PipelineEvent): ServerParts {
  const url = serverBase(event);
  const match = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?/i.exec(url);
  const protocol = (match?.[1] ?? "https").toLowerCase();
  const host = match?.[2] ?? url;
  const defaultPort = protocol === "http" ? "80" : "443";
  const port = match?.[3] ?? defaultPort;
  return { url, host, port, protocol, fqdn: port === defaultPort ? host : `${host}:${port}` };
}
