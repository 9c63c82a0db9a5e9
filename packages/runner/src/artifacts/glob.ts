/**
 * Glob patterns as gitlab-runner reads `artifacts:paths`, `artifacts:exclude` and `cache:paths`:
 * the syntax of Go's github.com/bmatcuk/doublestar/v4 (`*`, `?`, `[class]`, `[!class]`, `{a,b}`,
 * `**` for any number of directories, `\` escapes). Unlike shell globs, `*` also matches names
 * that start with a dot.
 * Docs: https://docs.gitlab.com/ci/yaml/#artifactspaths (doublestar patterns);
 * runner: commands/helpers/file_archiver.go (`doublestar.SplitPattern`, `FilepathGlob`, `Match`).
 *
 * Matching is picomatch's (`dot: true`) and walking the tree is tinyglobby's. The thin layer kept
 * here covers where their syntax or walk differs from doublestar's:
 * - `toPicomatch`: doublestar refuses unclosed `[`/`{`, a stray `}` and a trailing `\`;
 *   picomatch reads `(`, `)`, `|`, `+`, `@` and a leading `!` as regex, extglob or negation
 *   syntax, passes `\b`/`\d` on to the regex, and keeps `{a}` literal (or reads `{1..3}` as a
 *   range) where doublestar sees one alternative;
 * - `splitPattern` and `glob`: doublestar opens the pattern's literal base directory (following a
 *   symlink there) and walks from it, `**` matches that base itself, and a literal pattern is a
 *   plain lstat (a dangling symlink still matches). Below the base, tinyglobby either follows
 *   symlinks or drops them, while doublestar's WithNoFollow (GitLab Runner 18.1+) lists them
 *   without descending, so tinyglobby reads directories through `symlinksAsFiles`.
 */
import { lstatSync, readdir, statSync, type Dirent } from "node:fs";
import { join, posix } from "node:path";
import picomatch from "picomatch";
import { glob as tinyglobby, type FileSystemAdapter } from "tinyglobby";

export class GlobPatternError extends Error {
  override readonly name = "GlobPatternError";
  constructor() {
    super("syntax error in pattern");
  }
}

/** True when the pattern holds a wildcard (`*`, `?`, `[`, `{`). */
export function hasMeta(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/**
 * doublestar.SplitPattern: everything before the last `/` that precedes the first unescaped
 * wildcard, and the rest. `"."` and the whole pattern when there is no such slash.
 */
export function splitPattern(pattern: string): { base: string; pattern: string } {
  let split = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "/") split = i;
    else if (c === "*" || c === "?" || c === "[" || c === "{") break;
  }
  if (split === 0) return { base: "/", pattern: pattern.slice(1) };
  if (split > 0) return { base: pattern.slice(0, split), pattern: pattern.slice(split + 1) };
  return { base: ".", pattern };
}

/** Go's path.Clean: no `.` segments, `..` resolved where possible, no trailing or double slash. */
export function cleanPath(p: string): string {
  const normal = posix.normalize(p);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

/** Index of the `]` closing the class that opens at `start`. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === "!" || p[i] === "^") i++;
  if (p[i] === "]") i++;
  for (; i < p.length; i++) {
    if (p[i] === "\\") i++;
    else if (p[i] === "]") return i;
  }
  throw new GlobPatternError();
}

/** The doublestar pattern in picomatch's syntax; GlobPatternError where doublestar refuses it. */
function toPicomatch(pattern: string): string {
  let out = "";
  const braces: { at: number; comma: boolean }[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new GlobPatternError();
      out += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      if (pattern.slice(i, end).includes("/")) throw new GlobPatternError();
      out += pattern.slice(i, end + 1);
      i = end;
    } else if (c === "{") {
      braces.push({ at: out.length, comma: false });
      out += c;
    } else if (c === "}") {
      const open = braces.pop();
      if (!open) throw new GlobPatternError();
      if (open.comma) out += c;
      else out = out.slice(0, open.at) + out.slice(open.at + 1);
    } else {
      if (c === "," && braces.length > 0) braces.at(-1)!.comma = true;
      out += "()|+@".includes(c) || (c === "!" && i === 0) ? `\\${c}` : c;
    }
  }
  if (braces.length > 0) throw new GlobPatternError();
  return out;
}

/** `posix` turns `[!x]` into a negated class (tinyglobby sets it too). */
const PICOMATCH: picomatch.PicomatchOptions = {
  dot: true,
  nonegate: true,
  noextglob: true,
  posix: true,
};

/** A compiled doublestar pattern: `match(path)` is doublestar.Match(pattern, path). */
export function compileGlob(pattern: string): (path: string) => boolean {
  return picomatch(toPicomatch(pattern), PICOMATCH);
}

function unescapeLiteral(p: string): string {
  return p.replace(/\\(.)/g, "$1");
}

function exists(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A directory listing in which a symlink is a plain file: listed, never descended into. */
function symlinksAsFiles(entries: Dirent[]): Dirent[] {
  for (const entry of entries) {
    if (entry.isSymbolicLink()) {
      Object.assign(entry, {
        isFile: () => true,
        isDirectory: () => false,
        isSymbolicLink: () => false,
      });
    }
  }
  return entries;
}

/** node:fs for tinyglobby, with directory listings passed through `symlinksAsFiles`. */
const listing = {
  readdir: (
    path: string,
    options: { withFileTypes: true },
    callback: (err: NodeJS.ErrnoException | null, entries: Dirent[]) => void,
  ) => readdir(path, options, (err, entries) => callback(err, symlinksAsFiles(entries ?? []))),
} as unknown as FileSystemAdapter;

/**
 * doublestar.FilepathGlob for a pattern relative to `root`: the matching paths (files,
 * directories, symlinks), relative, slash-separated, in no particular order.
 */
export async function glob(root: string, pattern: string): Promise<string[]> {
  const cleaned = cleanPath(pattern);
  if (!hasMeta(cleaned)) {
    toPicomatch(cleaned); // the syntax check: a trailing `\` is refused here too
    const literal = unescapeLiteral(cleaned);
    return exists(join(root, literal)) ? [literal] : [];
  }
  const { base, pattern: rest } = splitPattern(cleaned);
  const literalBase = unescapeLiteral(base);
  const cwd = join(root, literalBase);
  const prefix = literalBase === "." ? "" : `${literalBase}/`;
  const found = (
    await tinyglobby(toPicomatch(rest), {
      cwd,
      dot: true,
      onlyFiles: false,
      expandDirectories: false,
      followSymbolicLinks: false,
      extglob: false,
      fs: listing,
    })
  ).map((p) => prefix + p.replace(/\/$/, ""));
  // `**` also matches no directory at all: the base itself.
  if (rest.split("/").every((s) => s === "**") && isDirectory(cwd)) found.push(literalBase);
  return [...new Set(found)];
}
