/**
 * Glob patterns as gitlab-runner reads `artifacts:paths`, `artifacts:exclude` and `cache:paths`:
 * the syntax of Go's github.com/bmatcuk/doublestar/v4 (`*`, `?`, `[class]`, `[!class]`, `{a,b}`,
 * `**` for any number of directories, `\` escapes). Unlike shell globs, `*` also matches names
 * that start with a dot.
 * Docs: https://docs.gitlab.com/ci/yaml/#artifactspaths (doublestar patterns);
 * runner: commands/helpers/file_archiver.go (`doublestar.SplitPattern`, `FilepathGlob`, `Match`).
 */
import { lstatSync, readdirSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { Yielder } from "./yielder.js";

export class GlobPatternError extends Error {
  override readonly name = "GlobPatternError";
  constructor() {
    super("syntax error in pattern");
  }
}

const META = /[*?[{]/;

/** True when the pattern holds a wildcard (`*`, `?`, `[`, `{`). */
export function hasMeta(pattern: string): boolean {
  return META.test(pattern);
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
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Expands `{a,b}` alternatives (nested too) into plain patterns. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "[") {
      i = classEnd(pattern, i);
      continue;
    }
    if (c === "{") {
      if (depth === 0) open = i;
      depth++;
    } else if (c === "}") {
      if (depth === 0) throw new GlobPatternError();
      depth--;
      if (depth === 0) {
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        const out: string[] = [];
        for (const alt of splitAlternatives(pattern.slice(open + 1, i))) {
          for (const rest of expandBraces(alt + tail)) out.push(head + rest);
        }
        return out;
      }
    }
  }
  if (depth !== 0) throw new GlobPatternError();
  return [pattern];
}

function splitAlternatives(body: string): string[] {
  const alts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") i++;
    else if (c === "[") i = classEnd(body, i);
    else if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === "," && depth === 0) {
      alts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  alts.push(body.slice(start));
  return alts;
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

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Regex source for one path segment without braces (`*`, `?`, classes, escapes). */
function segmentSource(seg: string): string {
  let out = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "\\") {
      i++;
      if (i >= seg.length) throw new GlobPatternError();
      out += escapeRegExp(seg[i]!);
    } else if (c === "*") {
      while (seg[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = classEnd(seg, i);
      let body = seg.slice(i + 1, end);
      let negate = false;
      if (body.startsWith("!") || body.startsWith("^")) {
        negate = true;
        body = body.slice(1);
      }
      let cls = "";
      for (let j = 0; j < body.length; j++) {
        let ch = body[j]!;
        if (ch === "\\") ch = body[++j] ?? "";
        if (ch === "-" && j > 0 && j < body.length - 1) cls += "-";
        else cls += ch.replace(/[\\\]^[-]/g, "\\$&");
      }
      out += negate ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

/** Regex source for a whole brace-free pattern, `**` segments spanning directories. */
function patternSource(pattern: string): string {
  const segs = pattern.split("/").filter((s, i, all) => !(s === "**" && all[i - 1] === "**"));
  let out = "";
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (seg === "**") {
      if (segs.length === 1) out += ".*";
      else if (last) out += "(?:/.*)?";
      else out += i === 0 ? "(?:.*/)?" : "/(?:.*/)?";
      continue;
    }
    const prevGlobstar = i > 0 && segs[i - 1] === "**";
    if (i > 0 && !prevGlobstar) out += "/";
    out += segmentSource(seg);
  }
  return out;
}

/** A compiled doublestar pattern: `match(path)` is doublestar.Match(pattern, path). */
export function compileGlob(pattern: string): (path: string) => boolean {
  const sources = expandBraces(pattern).map(patternSource);
  const re = new RegExp(`^(?:${sources.join("|")})$`, "s");
  return (path) => re.test(path);
}

function unescapeLiteral(seg: string): string {
  return seg.replace(/\\(.)/g, "$1");
}

/**
 * doublestar.FilepathGlob for a pattern relative to `root`: the matching paths (files,
 * directories, symlinks), relative, slash-separated, in no particular order. Symlinked
 * directories are not descended into by wildcards (GitLab Runner 18.1+ no longer follows them).
 */
export async function glob(root: string, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  const yielder = new Yielder();
  for (const expanded of expandBraces(pattern)) {
    const cleaned = cleanPath(expanded);
    if (!hasMeta(cleaned)) {
      const literal = unescapeLiteral(cleaned);
      if (exists(join(root, literal))) found.add(literal);
      continue;
    }
    const segs = cleaned.split("/");
    const matchers = segs.map((s) =>
      s === "**" || !hasMeta(s) ? undefined : new RegExp(`^${segmentSource(s)}$`, "s"),
    );
    await walk({ root, segs, matchers, found, yielder }, ".", 0);
  }
  return [...found];
}

interface Walk {
  root: string;
  segs: string[];
  matchers: (RegExp | undefined)[];
  found: Set<string>;
  yielder: Yielder;
}

async function walk(w: Walk, dir: string, index: number): Promise<void> {
  await w.yielder.tick();
  const rel = (name: string) => (dir === "." ? name : `${dir}/${name}`);
  if (index === w.segs.length) {
    w.found.add(dir);
    return;
  }
  const seg = w.segs[index]!;
  const last = index === w.segs.length - 1;
  if (seg === "**") {
    await walk(w, dir, index + 1);
    for (const entry of list(join(w.root, dir))) {
      const child = rel(entry.name);
      if (entry.isDirectory()) await walk(w, child, index);
      else if (last) w.found.add(child);
    }
    return;
  }
  const matcher = w.matchers[index];
  if (!matcher) {
    const child = rel(unescapeLiteral(seg));
    if (last) {
      if (exists(join(w.root, child))) w.found.add(child);
    } else if (isDirectory(join(w.root, child))) {
      await walk(w, child, index + 1);
    }
    return;
  }
  for (const entry of list(join(w.root, dir))) {
    if (!matcher.test(entry.name)) continue;
    const child = rel(entry.name);
    if (last) w.found.add(child);
    else if (entry.isDirectory()) await walk(w, child, index + 1);
  }
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
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
