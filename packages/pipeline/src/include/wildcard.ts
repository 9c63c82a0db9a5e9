/**
 * Wildcard `include:local` paths (docs.gitlab.com/ci/yaml/includes/#use-includelocal-with-wildcard-file-paths),
 * matched as GitLab's `Repository#search_files_by_wildcard_path` does: the whole path must match,
 * `**` matches anything (slashes included, so `configs/**.yml` also finds files in
 * subfolders) and `*` anything but a slash. Compiled for RE2: the pattern is the user's.
 *
 * Deliberately not `rules/glob.ts`, which is Ruby's `File.fnmatch` for `rules:changes` and
 * `rules:exists`: there `**` spans directories only as a whole path segment followed by a
 * slash, and `?`, `[...]` and `{a,b}` are patterns; here they are literal characters, as
 * GitLab escapes them.
 */
import { RE2JS } from "re2js";

const META = new Set([..."\\.+?()[]{}|^$"]);

export function wildcardToRegex(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        out += ".*?";
        i++;
      } else {
        out += "[^/]*?";
      }
    } else {
      out += META.has(ch) ? `\\${ch}` : ch;
    }
  }
  return `^${out}$`;
}

export function isWildcard(path: string): boolean {
  return path.includes("*");
}

/** The repository paths `pattern` selects, sorted as Git lists them. */
export function matchWildcard(pattern: string, paths: readonly string[]): string[] {
  const regex = RE2JS.compile(wildcardToRegex(pattern), RE2JS.DOTALL);
  return paths.filter((path) => regex.matches(path)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
