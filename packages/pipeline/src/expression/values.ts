import type { CompiledPattern } from "./regex.js";

/**
 * What a (sub)expression evaluates to. GitLab evaluates in Ruby and keeps Ruby values all the
 * way up: a variable is its string or `nil`, comparisons give booleans, and `&&`/`||` return one
 * of their operands. Numbers only come from `$[[ inputs.x ]]` references.
 */
export type Value = string | number | boolean | null | RegexValue;

export interface RegexValue {
  readonly kind: "regex";
  /** The literal as written, e.g. `/^v\d+/i`. */
  readonly literal: string;
  readonly pattern: CompiledPattern;
}

export function isRegexValue(value: Value): value is RegexValue {
  return typeof value === "object" && value !== null;
}

/** Ruby truthiness, which decides `&&` and `||`: only `nil` and `false` are false. */
export function isRubyTruthy(value: Value): boolean {
  return value !== null && value !== false;
}

/**
 * Rails' `present?`, which decides the whole expression (`Statement#truthful?`): `nil`, `false`,
 * the empty string and strings of only whitespace are not present. So `$VAR` alone is true when
 * the variable is defined and not empty, as GitLab documents
 * (https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions).
 */
export function isPresent(value: Value): boolean {
  if (value === null || value === false) return false;
  if (typeof value === "string") return !isBlank(value);
  return true;
}

/** Rails' `String#blank?`: empty or made only of Unicode whitespace (`[[:space:]]`). */
function isBlank(text: string): boolean {
  for (const char of text) {
    if (!UNICODE_WHITESPACE.has(char.codePointAt(0)!)) return false;
  }
  return true;
}

const UNICODE_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Ruby's `to_s`, used for the left side of `=~`: `nil` becomes the empty string. */
export function toText(value: Value): string {
  if (value === null) return "";
  if (isRegexValue(value)) return value.literal;
  return String(value);
}

/**
 * `==` as GitLab defines it: Ruby equality, except that a boolean and a string compare by the
 * boolean's text (`true == "true"`). `null == null` is true; the empty string is not `null`.
 */
export function valuesEqual(left: Value, right: Value): boolean {
  if (typeof left === "boolean" && typeof right === "string") return String(left) === right;
  if (typeof left === "string" && typeof right === "boolean") return left === String(right);
  if (isRegexValue(left) || isRegexValue(right)) {
    return (
      isRegexValue(left) && isRegexValue(right) && left.pattern.source === right.pattern.source
    );
  }
  return left === right;
}
