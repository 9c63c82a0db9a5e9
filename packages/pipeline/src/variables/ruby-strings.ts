/**
 * String conversions GitLab performs with Ruby semantics, reproduced so that values match
 * byte for byte: `Float#to_s`, `String#byteslice`, ActiveSupport's `String#truncate`, and the
 * title/description split of a commit message.
 */
import { utf8Bytes } from "./sha256.js";

/**
 * Ruby's `Float#to_s`: shortest round-trip digits, always with a fractional part (`1.0`),
 * fixed notation while the decimal exponent is within 1..15 digits before the point or
 * 0.0001 and above, scientific notation otherwise with at least two exponent digits
 * (`1.0e+16`, `1.0e-05`). Checked against Ruby 3.1.
 */
export function rubyFloatToString(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const sign = n < 0 ? "-" : "";
  const [mantissa = "", exponentText = "0"] = Math.abs(n).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  const pointAt = exponent + 1; // digits before the decimal point
  if (pointAt > 0 && pointAt <= 15) {
    const whole = digits.slice(0, pointAt).padEnd(pointAt, "0");
    const fraction = digits.slice(pointAt) || "0";
    return `${sign}${whole}.${fraction}`;
  }
  if (pointAt <= 0 && pointAt > -4) {
    return `${sign}0.${"0".repeat(-pointAt)}${digits}`;
  }
  const expSign = exponent < 0 ? "-" : "+";
  const expDigits = String(Math.abs(exponent)).padStart(2, "0");
  return `${sign}${digits[0]}.${digits.slice(1) || "0"}e${expSign}${expDigits}`;
}

/** Options for `yamlScalarToString`. */
export interface ScalarFormat {
  /**
   * Set when the YAML loader parses integers as `bigint` (the `yaml` package's `intAsBigInt`):
   * every `number` is then a YAML float and is formatted like Ruby's `Float#to_s` (`1.0` stays
   * `"1.0"`). Without it an integral `number` is formatted as an integer (`1.0` becomes `"1"`).
   */
  floatNumbers?: boolean;
}

/**
 * A YAML scalar as GitLab turns it into a variable value (`value.to_s` on what Psych loaded):
 * strings as they are, booleans as `true`/`false`, integers in decimal, floats as Ruby prints
 * them, null as the empty string. Returns `undefined` for anything that is not a scalar.
 */
export function yamlScalarToString(value: unknown, format: ScalarFormat = {}): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!format.floatNumbers && Number.isInteger(value)) return BigInt(value).toString();
      return rubyFloatToString(value);
    default:
      return value === null ? "" : undefined;
  }
}

/** True for the values GitLab's `ScalarValidator` accepts (string, integer, float, boolean). */
export function isYamlScalar(value: unknown): value is string | number | bigint | boolean {
  const type = typeof value;
  return type === "string" || type === "number" || type === "bigint" || type === "boolean";
}

/** UTF-8 length of `text` in bytes (Ruby's `String#bytesize`). */
export function byteLength(text: string): number {
  return utf8Bytes(text).length;
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes` (Ruby's
 * `byteslice(0, max)`). Ruby may cut a multi-byte character in half and keep the broken
 * bytes; a JavaScript string cannot hold them, so the partial character is dropped instead.
 */
export function truncateBytes(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (used + size > maxBytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * ActiveSupport's `String#truncate(length)` with the default `...` omission: a text longer than
 * `length` characters becomes its first `length - 3` characters followed by `...`.
 */
export function truncateWithOmission(text: string, length: number): string {
  const chars = Array.from(text);
  if (chars.length <= length) return text;
  return `${chars.slice(0, Math.max(0, length - 3)).join("")}...`;
}

/** What GitLab shows for a commit whose message is blank (`Gitlab::Git::Commit#no_commit_message`). */
export const NO_COMMIT_MESSAGE = "--no commit message";

/** Ruby's `String#blank?`: empty or only whitespace. */
function isBlank(text: string): boolean {
  return /^\s*$/u.test(text);
}

/**
 * `CI_COMMIT_TITLE` (GitLab's `Commit#full_title`): the message up to the first `\r` or `\n`,
 * or `--no commit message` when the message is blank.
 */
export function commitTitle(message: string): string {
  if (isBlank(message)) return NO_COMMIT_MESSAGE;
  const lineEnd = message.search(/[\r\n]/);
  return lineEnd === -1 ? message : message.slice(0, lineEnd);
}

/**
 * `CI_COMMIT_DESCRIPTION` (GitLab's `Commit#description`): the whole message when the title is
 * 100 characters or longer; `--no commit message` for a blank message; otherwise the message
 * after the first `\n`, without one trailing line break (`chomp`), or empty for one line.
 */
export function commitDescription(message: string): string {
  if (Array.from(commitTitle(message)).length >= 100) return message;
  if (isBlank(message)) return NO_COMMIT_MESSAGE;
  const newline = message.indexOf("\n");
  if (newline === -1) return "";
  return message.slice(newline + 1).replace(/(\r\n|\r|\n)$/, "");
}

const INSPECT_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  '"': '\\"',
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\u001b": "\\e",
};

/** Ruby's `String#inspect` for the plain strings used in GitLab messages (`"KEY"`). */
export function rubyInspect(text: string): string {
  let out = "";
  const chars = Array.from(text);
  chars.forEach((char, index) => {
    const next = chars[index + 1];
    if (char === "#" && (next === "{" || next === "$" || next === "@")) out += "\\#";
    else out += INSPECT_ESCAPES[char] ?? char;
  });
  return `"${out}"`;
}

/** Compares by Unicode code point, which is Ruby's byte-wise order for UTF-8 strings. */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const diff = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}
