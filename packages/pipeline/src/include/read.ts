/**
 * Reads an included file through the `ConfigSource` port and words each failure as GitLab does
 * (Gitlab::Ci::Config::External::File::{Local,Project,Remote,Template,Component},
 * Ci::Components::FetchService). A read that rejects (remote includes disabled, network, access)
 * becomes a diagnostic naming the reason; it never escapes as an exception.
 */
import type { ConfigSource } from "../config-source.js";
import { sha256Base64 } from "../hash/sha256.js";
import type { Location } from "./locations.js";
import type { FileContext } from "./types.js";

/** `sha256-<base64>` of `text`, the form `include:integrity` takes (docs.gitlab.com/ci/yaml/#includeintegrity). */
export function integrityOf(text: string): string {
  return `sha256-${sha256Base64(text)}`;
}

export type ReadResult = { ok: true; text: string } | { ok: false; message: string };

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/[.!]+$/, "");
}

async function attempt(
  read: () => Promise<string | undefined>,
): Promise<{ text?: string; error?: string }> {
  try {
    return { text: await read() };
  } catch (error) {
    return { error: reason(error) };
  }
}

/** Context check before reading (File::*#validate_context!). */
export function contextError(location: Location, context: FileContext): string | undefined {
  if (location.type === "local" && context.kind === "public") {
    return `Local file \`${location.location}\` does not have project!`;
  }
  if (location.type === "component" && context.kind === "public") {
    return "Unable to use components outside of a project context";
  }
  return undefined;
}

const blank = (text: string | undefined): boolean => text !== undefined && text.trim() === "";

export async function readLocation(
  source: ConfigSource,
  location: Location,
  context: FileContext,
): Promise<ReadResult> {
  const where = location.location;
  switch (location.type) {
    case "local": {
      const got =
        context.kind === "project"
          ? await attempt(() => source.readProject(context.project, where, context.ref))
          : await attempt(() => source.readLocal(where));
      if (got.error !== undefined)
        return {
          ok: false,
          message: `Local file \`${where}\` could not be read because ${got.error}!`,
        };
      if (got.text === undefined)
        return { ok: false, message: `Local file \`${where}\` does not exist!` };
      if (blank(got.text)) return { ok: false, message: `Local file \`${where}\` is empty!` };
      return { ok: true, text: got.text };
    }
    case "project": {
      const project = location.project ?? "";
      const got = await attempt(() => source.readProject(project, where, location.ref));
      if (got.error !== undefined) {
        return {
          ok: false,
          message: `Project \`${project}\` not found or access denied! Make sure any includes in the pipeline configuration are correctly defined. (${got.error})`,
        };
      }
      if (got.text === undefined)
        return { ok: false, message: `Project \`${project}\` file \`${where}\` does not exist!` };
      if (blank(got.text))
        return { ok: false, message: `Project \`${project}\` file \`${where}\` is empty!` };
      return { ok: true, text: got.text };
    }
    case "remote": {
      const got = await attempt(() => source.readRemote(where));
      if (got.error !== undefined) {
        return {
          ok: false,
          message: `Remote file \`${where}\` could not be fetched because ${got.error}!`,
        };
      }
      if (got.text === undefined || blank(got.text)) {
        return { ok: false, message: `Included file \`${where}\` is empty or does not exist!` };
      }
      if (location.integrity !== undefined && integrityOf(got.text) !== location.integrity) {
        return { ok: false, message: `Remote file \`${where}\` failed integrity check!` };
      }
      return { ok: true, text: got.text };
    }
    case "template": {
      const got = await attempt(() => source.readTemplate(where));
      if (got.error !== undefined) {
        return {
          ok: false,
          message: `Template file \`${where}\` could not be fetched because ${got.error}!`,
        };
      }
      if (got.text === undefined || blank(got.text)) {
        return { ok: false, message: `Included file \`${where}\` is empty or does not exist!` };
      }
      return { ok: true, text: got.text };
    }
    case "component": {
      const got = await attempt(() => source.readComponent(where));
      if (got.error !== undefined)
        return { ok: false, message: `Component '${where}' - ${got.error}` };
      if (got.text === undefined || blank(got.text))
        return { ok: false, message: `Component '${where}' - content not found` };
      return { ok: true, text: got.text };
    }
  }
}

/**
 * A component address `<fqdn>/<project path>/<name>@<version>`: the last `/` separates the
 * project from the component name (Gitlab::Ci::Components::InstancePath).
 */
export function parseComponentAddress(address: string): {
  project: string;
  name: string;
  reference: string;
} {
  const at = address.indexOf("@");
  const path = at < 0 ? address : address.slice(0, at);
  const reference = at < 0 ? "" : address.slice(at + 1);
  const withoutHost = path.slice(path.indexOf("/") + 1);
  const slash = withoutHost.lastIndexOf("/");
  return {
    project: slash < 0 ? withoutHost : withoutHost.slice(0, slash),
    name: slash < 0 ? "" : withoutHost.slice(slash + 1),
    reference,
  };
}
