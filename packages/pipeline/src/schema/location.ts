/**
 * GitLab's names for places in a configuration (`Gitlab::Config::Entry::Node#location`).
 *
 * Top-level keys that are not global keywords are jobs, under `jobs:`. Items of composable
 * arrays are named by their entry class (`rules:rule`, `services:service`); items of other
 * arrays (`script`, `stages`, `tags`, ...) are not entries, so GitLab reports them through the
 * array itself. Some keys are attributes validated by their parent entry rather than entries
 * of their own: `when` of a job reads `jobs:build when ...`, not `jobs:build:when config ...`.
 */
import { GLOBAL_KEYWORDS, isHiddenKey } from "../compose/keywords.js";
import { isPlainObject } from "./pointer.js";

/**
 * Top-level keys the schema knows as global keywords (every other key is a job): GitLab's
 * global keywords, plus three top-level keys of ci.json that are not jobs there: `$schema`,
 * `spec` (the header's key) and `!reference`. They stay out of `GLOBAL_KEYWORDS`, which
 * decides what compose and plan treat as jobs.
 */
const GLOBAL_KEYS: ReadonlySet<string> = new Set([
  ...GLOBAL_KEYWORDS,
  "$schema",
  "spec",
  "!reference",
]);

/** Arrays whose items are entries of their own, and the item entry's name. */
const ITEM_NAMES: Readonly<Record<string, string>> = {
  rules: "rule",
  services: "service",
  needs: "need",
  cache: "cache",
};

type ParentKind = "job" | "cache" | "artifacts" | "rule" | "image";

/** Keys each kind of entry validates as plain attributes. */
const ATTRIBUTES: Readonly<Record<ParentKind, ReadonlySet<string>>> = {
  job: new Set([
    "when",
    "dependencies",
    "extends",
    "start_in",
    "manual_confirmation",
    "resource_group",
    "run",
  ]),
  cache: new Set(["when", "policy", "unprotect", "untracked", "fallback_keys"]),
  artifacts: new Set([
    "name",
    "untracked",
    "paths",
    "exclude",
    "when",
    "expire_in",
    "expose_as",
    "public",
    "access",
  ]),
  rule: new Set(["if", "when", "start_in", "allow_failure", "interruptible"]),
  image: new Set(["name", "entrypoint", "alias", "command", "docker"]),
};

export interface GitLabLocation {
  /** The entry, e.g. `["jobs", "build", "script"]`; `["root"]` for the document itself. */
  entry: string[];
  /** The attribute of `entry` concerned, e.g. `when`; absent when it is the entry's config. */
  attribute?: string;
  /** The problem is an item of the array `entry` names, which GitLab reports as a whole. */
  insideItems: boolean;
}

export function isJobKey(key: string): boolean {
  return !GLOBAL_KEYS.has(key) && !isHiddenKey(key);
}

/**
 * The GitLab location of the value at `path` in `root`. An item of an array that is no entry
 * of its own stands for the array (`script`, `tags`); deeper values keep their keys and drop
 * the index (`run:env` for `run/0/env`).
 */
export function locate(root: unknown, path: readonly string[]): GitLabLocation {
  const entry: string[] = [];
  let node = root;
  for (const [index, part] of path.entries()) {
    if (Array.isArray(node)) {
      const item = ITEM_NAMES[entry[entry.length - 1] ?? ""];
      if (item) entry.push(item);
      else if (index === path.length - 1) return withAttribute(entry, true);
      node = node[Number(part)];
      continue;
    }
    if (entry.length === 0) entry.push(...(GLOBAL_KEYS.has(part) ? [part] : ["jobs", part]));
    else entry.push(part);
    node = isPlainObject(node) ? node[part] : undefined;
  }
  return withAttribute(entry, false);
}

function withAttribute(entry: string[], insideItems: boolean): GitLabLocation {
  if (entry.length === 0) return { entry: ["root"], insideItems };
  const last = entry[entry.length - 1] as string;
  const kind = parentKind(entry.slice(0, -1));
  if (kind && ATTRIBUTES[kind].has(last)) {
    return { entry: entry.slice(0, -1), attribute: last, insideItems };
  }
  return { entry, insideItems };
}

function parentKind(entry: readonly string[]): ParentKind | undefined {
  if (entry.length === 2 && entry[0] === "jobs") return "job";
  switch (entry[entry.length - 1]) {
    case "cache":
      return "cache";
    case "artifacts":
      return "artifacts";
    case "rule":
      return "rule";
    case "image":
    case "service":
      return "image";
    default:
      return undefined;
  }
}

/** `jobs:build:script`, `jobs:build:when`: the keyword path a diagnostic is about. */
export function gitlabPath(location: GitLabLocation): string {
  return [...location.entry, ...(location.attribute ? [location.attribute] : [])].join(":");
}

/** The subject GitLab's message starts with: `jobs:build config`, `jobs:build start in`. */
export function subject(location: GitLabLocation): string {
  const attribute = location.attribute ? humanize(location.attribute) : "config";
  return `${location.entry.join(":")} ${attribute}`;
}

/** ActiveSupport's `humanize`, lower-cased as GitLab's messages are. */
export function humanize(name: string): string {
  return name.replace(/^_+/, "").replace(/_id$/, "").replace(/_/g, " ").toLowerCase();
}
