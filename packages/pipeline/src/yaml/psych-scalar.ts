/**
 * How Psych reads an untagged plain scalar (`Psych::ScalarScanner#tokenize`, Psych 4 and 5 with
 * the default `strict_integer: false`). This is YAML 1.1 as Ruby has it, which differs from both
 * YAML 1.2 and the YAML 1.1 spec; the cases were checked against Psych 4.0.3:
 *
 * - booleans `yes/no/on/off/true/false` in any letter case (`y` and `n` stay strings);
 * - null `~`, `null` in any case, and the empty scalar;
 * - integers `0755` (octal), `0x1F`, `0b101`, `1_000`, `1,000` (not `0o17`, `0X1F`, `1e3`);
 * - sexagesimal `1:20` = 1*3600 + 20*60 (Psych weighs the parts as if there were three);
 * - floats need a dot (`1.5`, `.5`, `5.`, `1.5e+3`; `1e3` stays a string), and `.inf`, `.nan`;
 * - `:name` is a Symbol;
 * - dates and timestamps load as Date/Time, which `safe_load` refuses, so GitLab fails with
 *   "Tried to load unspecified class: Date".
 *
 * The regular expressions mirror Ruby's line anchors (`^`/`$` match at line breaks).
 */
import { inspectString } from "../ruby/inspect.js";
import { disallowedClass, LoadError } from "./load-error.js";
import { YamlSymbol } from "./yaml-symbol.js";

/** Ruby `\s` is ASCII white space only. */
const S = "[ \\t\\n\\v\\f\\r]";
const LOOKS_LIKE_WORD = /^[^\d.:-]?[\p{Alphabetic}_ \t\n\v\f\r!@#$%^&*(){}<>|/\\~;=]+/mu;
const TIME = new RegExp(
  `^-?\\d{4}-\\d{1,2}-\\d{1,2}(?:[Tt]|${S}+)\\d{1,2}:\\d\\d:\\d\\d(?:\\.\\d*)?(?:${S}*(?:Z|[-+]\\d{1,2}:?(?:\\d\\d)?))?$`,
  "m",
);
const DATE = /^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/m;
const SEXAGESIMAL_INT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/m;
const SEXAGESIMAL_FLOAT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/m;
const FLOAT = /^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?)$/m;
const INTEGER =
  /^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$/m;

/** The value of an untagged plain scalar, as Psych loads it. */
export function tokenizePlain(text: string): unknown {
  if (text === "") return null;
  // A leading ASCII letter or `_` always matches LOOKS_LIKE_WORD (the common case, made quick).
  if (startsWithLetter(text)) return wordLike(text);
  if (LOOKS_LIKE_WORD.test(text) || text.includes("\n")) return wordLike(text);
  if (TIME.test(text)) throw disallowedClass("Time");
  if (DATE.test(text)) throw disallowedClass("Date");
  if (/^\+?\.inf$/im.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-\.inf$/im.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^\.nan$/im.test(text)) return Number.NaN;
  if (/^:./m.test(text)) return symbol(text);
  if (SEXAGESIMAL_INT.test(text)) return sexagesimal(text, rubyToI);
  if (SEXAGESIMAL_FLOAT.test(text)) return sexagesimal(text, rubyToF);
  if (FLOAT.test(text)) {
    if (/^[-+]?\.$/.test(text)) return text;
    return rubyFloat(text.replace(/[,_]|\.([Ee]|$)/g, "$1"));
  }
  if (INTEGER.test(text)) return rubyInteger(text.replace(/[,_]/g, ""));
  return text;
}

/**
 * True when the plain scalar certainly loads as itself, a String: a word starting with an
 * ASCII letter, which is not one of the short words (`yes`, `true`, `on`, `null`, ...).
 */
export function isPlainWord(text: string): boolean {
  const first = text.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a) return false;
  return !WORD_STARTS.has(first) || text.length > 10;
}

/** True when Psych reads this untagged plain scalar as a Float (a key then prints as `1.0`). */
export function isFloatText(text: string): boolean {
  if (text === "" || LOOKS_LIKE_WORD.test(text) || text.includes("\n")) return false;
  if (TIME.test(text) || DATE.test(text) || /^:./m.test(text)) return false;
  if (/^[-+]?\.(inf|nan)$/im.test(text)) return !/^\+\.nan$/i.test(text);
  if (SEXAGESIMAL_INT.test(text)) return false;
  return SEXAGESIMAL_FLOAT.test(text) || (FLOAT.test(text) && !/^[-+]?\.$/.test(text));
}

function startsWithLetter(text: string): boolean {
  const code = text.charCodeAt(0) | 0x20;
  return (code >= 0x61 && code <= 0x7a) || text.charCodeAt(0) === 0x5f;
}

/** Ruby's `String#length`: code points, not UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff || i === 0) count++;
    else if (text.charCodeAt(i - 1) < 0xd800 || text.charCodeAt(i - 1) > 0xdbff) count++;
  }
  return count;
}

/** The first letters of the words below (ASCII lower case). */
const WORD_STARTS = new Set([0x79, 0x74, 0x6f, 0x6e, 0x66, 0x7e]);

function wordLike(text: string): unknown {
  if (text.length > 5 && (text.length > 10 || codePoints(text) > 5)) return text;
  // The first line's first character is enough for the next test to hold.
  if (!WORD_STARTS.has(text.charCodeAt(0) | 0x20)) return text;
  if (/^[^ytonf~]/im.test(text)) return text;
  if (text === "~" || /^null$/im.test(text)) return null;
  if (/^(yes|true|on)$/im.test(text)) return true;
  if (/^(no|false|off)$/im.test(text)) return false;
  return text;
}

function symbol(text: string): YamlSymbol {
  const quoted = /^:(["'])(.*)\1/.exec(text);
  const name = quoted ? (quoted[2] ?? "").replace(/^:/, "") : text.replace(/^:/, "");
  return new YamlSymbol(name);
}

/** Psych sums `part * 60 ** |index - 2|`, so `1:20` is 4800, not 80. */
function sexagesimal(text: string, convert: (part: string) => number): number {
  return text
    .split(":")
    .reduce((sum, part, index) => sum + convert(part) * 60 ** Math.abs(index - 2), 0);
}

/** `String#to_i`: leading sign and digits, single underscores between digits. */
function rubyToI(part: string): number {
  const match = /^[-+]?\d+(?:_\d+)*/.exec(part);
  return match ? Number(match[0].replace(/_/g, "")) : 0;
}

/** `String#to_f`: the longest leading decimal number. */
function rubyToF(part: string): number {
  const match = /^[-+]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?/.exec(part);
  return match ? Number(match[0].replace(/_/g, "")) : 0;
}

/** `Kernel#Float` on a decimal string; Ruby raises ArgumentError (a GitLab 500) otherwise. */
export function rubyFloat(text: string): number {
  if (/^[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  throw new LoadError(`invalid value for Float(): ${inspectString(text)}`);
}

/** `Kernel#Integer` on Psych's integer forms (underscores and commas already removed). */
export function rubyInteger(text: string): number {
  const match = /^([-+]?)(0b|0x|0(?=\d))?(.*)$/.exec(text);
  const sign = match?.[1] === "-" ? -1 : 1;
  const prefix = match?.[2];
  const digits = match?.[3] ?? "";
  const radix = prefix === "0b" ? 2 : prefix === "0x" ? 16 : prefix === "0" ? 8 : 10;
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[radix];
  if (!valid?.test(digits)) {
    throw new LoadError(`invalid value for Integer(): ${inspectString(text)}`);
  }
  const magnitude = [...digits].reduce(
    (n, d) => n * BigInt(radix) + BigInt(Number.parseInt(d, 16)),
    0n,
  );
  const value = Number(magnitude);
  return value === 0 ? 0 : sign * value;
}
