/**
 * Ruby's `inspect` and `to_s` for the values Psych loads, so that messages and keys read as
 * GitLab prints them (Ruby 3.3 and earlier: hashes inspect as `{"a"=>1}`).
 */
import { ReferenceTag } from "./reference-tag.js";
import { YamlSymbol } from "./yaml-symbol.js";

const NAMED_ESCAPES: Record<string, string> = {
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\u001b": "\\e",
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** `String#inspect` for a UTF-8 string. */
export function inspectString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) {
      out += named;
    } else if (ch === "#" && /[{$@]/.test(text.charAt(i + 1))) {
      out += "\\#";
    } else {
      const code = ch.charCodeAt(0);
      out +=
        code < 0x20 || code === 0x7f
          ? `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`
          : ch;
    }
  }
  return `${out}"`;
}

/** `Float#to_s`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e15. */
export function floatToS(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa = "0", exp = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const decpt = Number(exp) + 1;
  const sign = value < 0 ? "-" : "";
  if (decpt > -4 && decpt <= 15) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (digits.length <= decpt) return `${sign}${digits.padEnd(decpt, "0")}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const fraction = digits.length > 1 ? digits.slice(1) : "0";
  const e = decpt - 1;
  return `${sign}${digits.charAt(0)}.${fraction}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** Integers print all their digits; JS cannot tell `1.0` from `1`, so both print as `1`. */
function inspectNumber(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : floatToS(value);
}

function inspectSymbol(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*[?!]?$/.test(name) ? `:${name}` : `:${inspectString(name)}`;
}

/** `inspect` of a loaded value. */
export function rubyInspect(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return inspectString(value);
  if (typeof value === "number") return inspectNumber(value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof YamlSymbol) return inspectSymbol(value.name);
  if (value instanceof ReferenceTag) {
    return `!reference ${value.invalid ?? rubyInspect(value.path)}`;
  }
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${inspectString(k)}=>${rubyInspect(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}

/** `to_s` of a loaded value used as a mapping key (symbols lose their colon). */
export function rubyKeyString(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return inspectNumber(value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof YamlSymbol) return value.name;
  return rubyInspect(value);
}
