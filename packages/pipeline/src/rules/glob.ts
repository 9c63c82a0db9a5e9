/**
 * Path globs as GitLab matches `rules:changes`, `rules:exists` and `only:changes`:
 * Ruby's `File.fnmatch?(glob, path, FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB)`.
 * `*` and `?` stay inside one path segment (leading dots included), `**` followed by `/` spans
 * any number of directories, `[...]` and `{a,b}` work as in Ruby.
 * The glob is the user's, so it is compiled for RE2 (linear time), never for a backtracking engine.
 */
import { RE2JS } from "re2js";

const cache = new Map<string, RE2JS>();

export function matchesGlob(glob: string, path: string): boolean {
  // A glob without special characters matches only itself: no pattern to compile.
  if (!/[*?[{\\]/.test(glob)) return glob === path;
  let compiled = cache.get(glob);
  if (!compiled) {
    compiled = RE2JS.compile(`^(?:${globToRegex(glob)})$`, RE2JS.DOTALL);
    if (cache.size > 10_000) cache.clear();
    cache.set(glob, compiled);
  }
  return compiled.matches(path);
}

export function matchesAnyGlob(globs: readonly string[], paths: readonly string[]): boolean {
  return paths.some((path) => globs.some((glob) => matchesGlob(glob, path)));
}

/** Translates a Ruby fnmatch glob (pathname + dotmatch + extglob) into an RE2 pattern body. */
export function globToRegex(glob: string): string {
  let out = "";
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "\\" && i + 1 < glob.length) {
      out += escapeChar(glob[++i] as string);
    } else if (ch === "*") {
      if (glob[i + 1] === "*" && glob[i + 2] === "/" && (i === 0 || glob[i - 1] === "/")) {
        out += "(?:[^/]*/)*";
        i += 2;
      } else {
        while (glob[i + 1] === "*") i++;
        out += "[^/]*";
      }
    } else if (ch === "?") {
      out += "[^/]";
    } else if (ch === "[") {
      const end = findClassEnd(glob, i);
      if (end < 0) {
        out += "\\[";
      } else {
        out += classToRegex(glob.slice(i + 1, end));
        i = end;
      }
    } else if (ch === "{") {
      braceDepth++;
      out += "(?:";
    } else if (ch === "}" && braceDepth > 0) {
      braceDepth--;
      out += ")";
    } else if (ch === "," && braceDepth > 0) {
      out += "|";
    } else {
      out += escapeChar(ch);
    }
  }
  // An unclosed brace is literal in Ruby; close groups so the pattern stays valid.
  out += ")".repeat(braceDepth);
  return out;
}

function findClassEnd(glob: string, start: number): number {
  let i = start + 1;
  if (glob[i] === "!" || glob[i] === "^") i++;
  if (glob[i] === "]") i++;
  for (; i < glob.length; i++) {
    if (glob[i] === "\\") i++;
    else if (glob[i] === "]") return i;
  }
  return -1;
}

function classToRegex(body: string): string {
  let negate = false;
  let rest = body;
  if (rest.startsWith("!") || rest.startsWith("^")) {
    negate = true;
    rest = rest.slice(1);
  }
  let out = "";
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] as string;
    if (ch === "\\" && i + 1 < rest.length) out += escapeClassChar(rest[++i] as string);
    else if (ch === "-" && i > 0 && i < rest.length - 1) out += "-";
    else out += escapeClassChar(ch);
  }
  // With FNM_PATHNAME a bracket expression never matches `/`.
  return negate ? `[^/${out}]` : `(?:[${out}])`;
}

function escapeChar(ch: string): string {
  return /[\\^$.|?*+()[\]{}]/.test(ch) ? `\\${ch}` : ch;
}

function escapeClassChar(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}
