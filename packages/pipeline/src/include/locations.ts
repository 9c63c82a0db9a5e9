/**
 * Turns the `include` keyword of one file into the files to read, in GitLab's order
 * (Gitlab::Ci::Config::External::Mapper: Normalizer, Filter, LocationExpander,
 * VariablesExpander, Matcher, and File::*#validate_location!), with GitLab's error wording.
 * Forms: docs.gitlab.com/ci/yaml/#include and docs.gitlab.com/ci/yaml/includes/.
 */
import { isMap } from "../compose/deep-merge.js";
import type { SourcePosition } from "../diagnostics.js";
import { rubyInspectSymbolKeys } from "../ruby/inspect.js";
import { positionOf } from "../source-map.js";
import type { IncludeType } from "./types.js";

export interface IncludeEntry {
  /** Index in the `include` list, for positions. */
  index: number;
  position?: SourcePosition;
  /** As written: a path or URL, or a hash of `local`, `project`, `inputs`, `rules`... */
  value: string | Record<string, unknown>;
}

export interface Location {
  type: IncludeType;
  /** Path, URL, template name or component address. */
  location: string;
  entry: IncludeEntry;
  project?: string;
  ref?: string;
  inputs?: unknown;
  integrity?: string;
}

export type Checked<T> =
  { ok: true; value: T } | { ok: false; message: string; entry?: IncludeEntry };

const SUBKEYS = ["local", "project", "remote", "template", "artifact", "component"] as const;
const ALLOWED_KEYS = [
  "local",
  "file",
  "remote",
  "project",
  "ref",
  "integrity",
  "cache",
  "template",
  "artifact",
  "inputs",
  "job",
  "rules",
  "component",
];
const EXPANDED_KEYS = ["local", "file", "remote", "project", "ref", "template", "component"];
const YAML_EXTENSION = /.+\.(yml|yaml)$/i;

/** `Gitlab::UrlSanitizer.valid?`: a URL with an http, https, ssh or git scheme. */
export function isValidUrl(text: string): boolean {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text.trim());
  return match !== null && ["http", "https", "ssh", "git"].includes(match[1] as string);
}

/** The entries of an `include` value: a string, a hash, or an array of them. */
export function includeEntries(include: unknown): Checked<IncludeEntry[]> {
  if (include === null || include === undefined) return { ok: true, value: [] };
  const items = Array.isArray(include) ? include : [include];
  const entries: IncludeEntry[] = [];
  for (const [index, item] of items.entries()) {
    const position = Array.isArray(include) ? positionOf(include, index) : positionOf(item);
    if (typeof item === "string") {
      entries.push({ index, position, value: item });
    } else if (isMap(item)) {
      entries.push({ index, position: position ?? positionOf(item), value: item });
    } else {
      const entry = { index, position, value: {} };
      return { ok: false, message: "include config should be a hash or a string", entry };
    }
  }
  return { ok: true, value: entries };
}

/** Entry-level checks GitLab's `Entry::Include` makes. */
export function checkEntry(entry: IncludeEntry): string | undefined {
  const params = entry.value;
  if (typeof params === "string") return undefined;
  const extra = Object.keys(params).filter((key) => !ALLOWED_KEYS.includes(key));
  if (extra.length > 0) return `include config contains unknown keys: ${extra.join(", ")}`;
  if (params.project && (params.file === undefined || params.file === null || params.file === "")) {
    return "include config must specify the file where to fetch the config from";
  }
  if (params.integrity !== undefined) {
    if (!params.remote) return "include config integrity can only be specified for remote includes";
    const hash = typeof params.integrity === "string" ? params.integrity : "";
    if (!hash.startsWith("sha256-"))
      return "include config integrity hash must start with 'sha256-'";
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(hash.slice(7)) || (hash.length - 7) % 4 !== 0) {
      return "include config integrity hash must be base64 encoded";
    }
  }
  if (params.rules !== undefined && !(Array.isArray(params.rules) && params.rules.every(isMap))) {
    return "include rules should be an array of hashes";
  }
  return undefined;
}

/** A string entry becomes `remote` when it is a URL, `local` otherwise (Mapper::Normalizer). */
export function normalizeString(text: string): Record<string, unknown> {
  return isValidUrl(text) ? { remote: text } : { local: text };
}

/** Expands variables in the entry's string values and string arrays (Mapper::VariablesExpander). */
export function expandParams(params: Record<string, unknown>, expand: (value: string) => string) {
  const out: Record<string, unknown> = { ...params };
  for (const key of EXPANDED_KEYS) {
    const value = out[key];
    if (typeof value === "string") out[key] = expand(value);
    else if (Array.isArray(value))
      out[key] = value.map((item) => expand(typeof item === "string" ? item : String(item)));
  }
  return out;
}

function present(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function locationText(value: unknown): string {
  return typeof value === "string" ? value : rubyInspectSymbolKeys(value);
}

/** Picks the one include type of an entry (Mapper::Matcher) and checks its location (File::*). */
export function matchLocation(
  entry: IncludeEntry,
  params: Record<string, unknown>,
): Checked<Location> {
  const kinds = SUBKEYS.filter((key) =>
    key === "project" ? present(params.project) && present(params.file) : present(params[key]),
  );
  if (kinds.length === 0) {
    return {
      ok: false,
      message: `\`${JSON.stringify(params)}\` does not have a valid subkey for include. Valid subkeys are: \`${SUBKEYS.join("`, `")}\``,
    };
  }
  if (kinds.length > 1)
    return { ok: false, message: `Each include must use only one of: \`${SUBKEYS.join("`, `")}\`` };
  const kind = kinds[0] as (typeof SUBKEYS)[number];
  if (kind === "artifact") {
    return {
      ok: false,
      message: "Including configs from artifacts is only allowed when triggering child pipelines",
    };
  }
  const raw = kind === "project" ? params.file : params[kind];
  if (typeof raw !== "string")
    return { ok: false, message: `Included file \`${locationText(raw)}\` needs to be a string` };
  const location = kind === "local" || kind === "project" ? raw.replace(/^\/+/, "") : raw;
  const shown = kind === "local" || kind === "project" ? location : raw;
  if (kind !== "component") {
    const base = shown.slice(shown.lastIndexOf("/") + 1);
    if (!YAML_EXTENSION.test(base))
      return { ok: false, message: `Included file \`${shown}\` does not have YAML extension!` };
  }
  if (kind === "remote" && !isValidUrl(raw)) {
    return { ok: false, message: `Remote file \`${raw}\` does not have a valid address!` };
  }
  if (kind === "template" && !raw.endsWith(".gitlab-ci.yml")) {
    return { ok: false, message: `Template file \`${raw}\` is not a valid location!` };
  }
  if (kind === "component" && !raw.includes("@")) {
    return { ok: false, message: `Component '${raw}' - the component path is not supported` };
  }
  const result: Location = { type: kind, location, entry };
  if (kind === "project") {
    const project = Array.isArray(params.project) ? params.project[0] : params.project;
    result.project = String(project).toLowerCase();
    if (typeof params.ref === "string" && params.ref !== "") result.ref = params.ref;
  }
  if (params.inputs !== undefined) result.inputs = params.inputs;
  if (typeof params.integrity === "string") result.integrity = params.integrity;
  return { ok: true, value: result };
}
