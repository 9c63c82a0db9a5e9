/**
 * The git command lines the runner uses to get sources (gitlab-runner `shells/abstract.go`:
 * `setupTemplateDir`, `writeRefspecFetchCmd`, `writeCheckoutCmd`, `writeSubmoduleUpdateCmd`,
 * `writeGitCleanup`). Pure: argv arrays only.
 */
import type { GitSettings } from "./git-settings.js";

/** The template config every job repository starts with (runner `setupTemplateDir`). */
export const TEMPLATE_CONFIG: readonly (readonly [string, string])[] = [
  ["init.defaultBranch", "none"],
  ["fetch.recurseSubmodules", "false"],
  ["credential.interactive", "never"],
  ["gc.autoDetach", "false"],
];

/** Files a killed git leaves behind that make the next fetch fail (runner `writeGitCleanup`). */
export const STALE_GIT_FILES: readonly string[] = [
  "index.lock",
  "shallow.lock",
  "HEAD.lock",
  "hooks/post-checkout",
  "config.lock",
];

/** Options for every git call: no hooks from the user's configuration, no prompts. */
export const GIT_BASE_ARGS: readonly string[] = ["-c", "core.hooksPath=/dev/null"];

export function initArgs(
  projectDir: string,
  templateDir: string,
  objectFormat?: "sha1" | "sha256",
): string[] {
  const args = ["-c", "init.defaultBranch=none", "init", projectDir, "--template", templateDir];
  if (objectFormat === "sha256") args.push("--object-format", "sha256");
  return args;
}

export function fetchArgs(
  settings: GitSettings,
  refspecs: readonly string[],
  userAgent: string,
  unshallow: boolean,
): string[] {
  const args = ["-c", `http.userAgent=${userAgent}`, "fetch", "origin", "--no-recurse-submodules"];
  args.push(...refspecs);
  if (settings.depth > 0) args.push("--depth", String(settings.depth));
  args.push(...settings.fetchFlags);
  if (settings.depth <= 0 && unshallow) args.push("--unshallow");
  return args;
}

/** Fetches one commit by id (used when the refspecs did not bring the job's commit). */
export function fetchCommitArgs(settings: GitSettings, sha: string, userAgent: string): string[] {
  const args = ["-c", `http.userAgent=${userAgent}`, "fetch", "origin", "--no-recurse-submodules"];
  args.push(sha);
  if (settings.depth > 0) args.push("--depth", String(settings.depth));
  args.push("--quiet");
  return args;
}

export function checkoutArgs(sha: string): string[] {
  return ["-c", "submodule.recurse=false", "checkout", "-f", "-q", sha];
}

export function cleanArgs(settings: GitSettings): string[] | undefined {
  return settings.cleanFlags.length > 0 ? ["clean", ...settings.cleanFlags] : undefined;
}

/** `git submodule …` command lines for the normal / recursive strategies. */
export function submoduleCommands(settings: GitSettings, recursive: boolean): string[][] {
  const paths = settings.submodulePaths.length > 0 ? ["--", ...settings.submodulePaths] : [];
  const sync = ["submodule", "sync", ...(recursive ? ["--recursive"] : []), ...paths];
  const foreach = ["submodule", "foreach", ...(recursive ? ["--recursive"] : [])];
  const update = ["submodule", "update", "--init", ...(recursive ? ["--recursive"] : [])];
  if (settings.submoduleDepth > 0) update.push("--depth", String(settings.submoduleDepth));
  update.push(...settings.submoduleUpdateFlags, ...paths);
  const clean = `git clean ${(settings.cleanFlags.length > 0 ? settings.cleanFlags : ["-ffdx"]).join(" ")}`;
  return [
    ["submodule", "init"],
    sync,
    [...foreach, clean],
    [...foreach, "git reset --hard"],
    update,
    [...foreach, clean],
  ];
}

/** The notice before submodule commands (runner `writeSubmoduleUpdateNoticeMsg`). */
export function submoduleNotice(recursive: boolean, depth: number): string {
  if (recursive && depth > 0) {
    return `Updating/initializing submodules recursively with git depth set to ${depth}...`;
  }
  if (recursive) return "Updating/initializing submodules recursively...";
  if (depth > 0) return `Updating/initializing submodules with git depth set to ${depth}...`;
  return "Updating/initializing submodules...";
}
