import { RE2JS, RE2JSSyntaxException } from "re2js";
import { estimateProgramSize } from "./regex-size.js";

/**
 * The RE2 side of `=~` and `!~`. GitLab evaluates every pattern with RE2 (`Gitlab::UntrustedRegexp`,
 * https://docs.gitlab.com/ci/jobs/job_rules/#compare-a-variable-to-a-regular-expression), so
 * matching here is linear in the input and no pattern ever reaches JavaScript's RegExp.
 */
export interface CompiledPattern {
  /** The RE2 pattern as compiled: the body, prefixed by `(?flags)` when there are flags. */
  readonly source: string;
  /** Whether the pattern matches anywhere in `text` (unanchored, like GitLab's scan). */
  test(text: string): boolean;
}

export type PatternResult =
  | { readonly ok: true; readonly pattern: CompiledPattern }
  | { readonly ok: false; readonly reason: string };

/**
 * Roughly the largest program GitLab's RE2 builds: RE2 defaults to 8 MiB of memory, gives two
 * thirds to the forward program and a quarter of that to instructions of 8 bytes. Beyond it RE2
 * fails with "pattern too large". re2js counts instructions differently (one per Unicode class
 * where RE2 compiles UTF-8 byte ranges), so this only approximates where GitLab gives up.
 */
const RE2_MAX_PROGRAM_SIZE = 174_762;
const TOO_LARGE: PatternResult = { ok: false, reason: "pattern too large for RE2" };

/** Bounded memo of compiled patterns; compiling is deterministic, so this does not affect results. */
const cache = new Map<string, PatternResult>();
const CACHE_LIMIT = 512;

/**
 * Compiles text of the form `/body/flags` as GitLab's `UntrustedRegexp::RubySyntax.fabricate`
 * does. Only the first line of the text that is wholly of that form counts (Ruby's `^` and `$`
 * are line anchors); the body is everything up to the last slash of that line and the flags are
 * any of `i`, `m`, `s` and `U`, passed to RE2 unchanged as an inline `(?flags)` group (so `m` is
 * RE2's multi-line mode and `s` lets `.` match a newline). Nothing else is translated: GitLab
 * hands the body to RE2 as written, so Ruby-only syntax fails here as it fails there.
 */
export function compileSlashPattern(text: string): PatternResult {
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const result = compileUncached(text);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, result);
  return result;
}

function compileUncached(text: string): PatternResult {
  const parts = splitSlashForm(text);
  if (parts === undefined) return { ok: false, reason: "not of the form /pattern/flags" };
  const source = parts.flags === "" ? parts.body : `(?${parts.flags})${parts.body}`;
  // Refuse clearly oversized patterns before re2js spends seconds building them.
  if (estimateProgramSize(source) > RE2_MAX_PROGRAM_SIZE) return TOO_LARGE;
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(source);
  } catch (error) {
    return { ok: false, reason: describeCompileError(error) };
  }
  if (regex.programSize() > RE2_MAX_PROGRAM_SIZE) return TOO_LARGE;
  // GitLab scans with the pattern wrapped in a capture group when it has none. That only changes
  // anything for an unterminated `\Q`, which then swallows the closing parenthesis, the scan
  // pattern fails to compile and nothing ever matches.
  const scanner =
    regex.groupCount() === 0 && source.includes("\\Q") ? tryCompile(`(${source})`) : regex;
  return {
    ok: true,
    pattern: { source, test: (input: string) => scanner?.test(input) === true },
  };
}

/** Splits the first line of `text` that reads `/body/flags`; see `compileSlashPattern`. */
export function splitSlashForm(text: string): { body: string; flags: string } | undefined {
  let lineStart = 0;
  for (;;) {
    const lineEnd = text.indexOf("\n", lineStart);
    const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
    const close = line.lastIndexOf("/");
    if (line.startsWith("/") && close > 0 && isFlags(line.slice(close + 1))) {
      return { body: line.slice(1, close), flags: line.slice(close + 1) };
    }
    if (lineEnd === -1) return undefined;
    lineStart = lineEnd + 1;
  }
}

function isFlags(text: string): boolean {
  for (const char of text) if (!"ismU".includes(char)) return false;
  return true;
}

function tryCompile(source: string): RE2JS | undefined {
  try {
    return RE2JS.compile(source);
  } catch {
    return undefined;
  }
}

function describeCompileError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof RE2JSSyntaxException)) return message;
  const lookaround = ["`(?=", "`(?!", "`(?<=", "`(?<!"].some((s) => message.includes(s));
  const escapeAt = message.indexOf("`\\");
  const escaped = escapeAt === -1 ? "" : message.charAt(escapeAt + 2);
  const backreference = (escaped >= "1" && escaped <= "9") || escaped === "k";
  if (lookaround || backreference) {
    return `${message} (RE2 supports neither lookaround nor backreferences)`;
  }
  return message;
}
