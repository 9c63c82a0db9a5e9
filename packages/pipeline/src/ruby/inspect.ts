/**
 * Ruby's `inspect` and `to_s` for the values GitLab prints in its messages, uses as mapping keys
 * and writes into interpolated text, so that they read here as GitLab prints them.
 *
 * Hashes come in two styles, because GitLab prints two kinds of hash:
 *
 * - `rubyInspect` / `rubyToS`: data as Psych loaded it, whose keys are Strings, printed as Ruby
 *   3.3 and earlier do (`{"a"=>1}`). The YAML loader uses it for what it renders itself (a
 *   mapping or sequence used as a key, a malformed `!reference`), and so do `!reference`
 *   messages, `topological sort failed: [...]` and the variables' cycle message.
 * - `rubyInspectSymbolKeys` / `rubyToSSymbolKeys`: configuration after GitLab symbolized its
 *   keys (include entries, input values), printed as Ruby 3.4 prints symbol keys
 *   (`{name: "value"}`, `{"a-b": 1}`). `include` uses it for a non-string location and for
 *   input values turned into text.
 *
 * Everything else (strings, numbers, symbols, arrays) prints the same in both.
 */
import { ReferenceTag } from "../yaml/reference-tag.js";
import { YamlSymbol } from "../yaml/yaml-symbol.js";

type HashStyle = "string-keys" | "symbol-keys";

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
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

/** A symbol Ruby prints bare (`:name`, `name:` as a hash key); any other is quoted. */
const PLAIN_SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*[?!]?$/;

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

/**
 * `Float#to_s`: shortest round-trip digits, always with a fractional part (`1.0`); fixed
 * notation for 1e-4 <= |x| < 1e15, otherwise scientific with at least two exponent digits
 * (`1.0e+15`, `1.0e-05`). Checked against Ruby 3.1.
 */
export function floatToS(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa = "0", exp = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const decpt = Number(exp) + 1; // digits before the decimal point
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

/**
 * `to_s` (and `inspect`) of a number: JavaScript cannot tell `1.0` from `1`, so an integral
 * number prints as an Integer (all its digits), any other as `Float#to_s`.
 */
export function numberToS(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : floatToS(value);
}

/** `Symbol#inspect`: `:name`, or `:"a b"` for a name that needs quotes. */
export function inspectSymbol(name: string): string {
  return PLAIN_SYMBOL.test(name) ? `:${name}` : `:${inspectString(name)}`;
}

function inspectKey(key: string, style: HashStyle): string {
  if (style === "string-keys") return `${inspectString(key)}=>`;
  return PLAIN_SYMBOL.test(key) ? `${key}: ` : `${inspectString(key)}: `;
}

function inspect(value: unknown, style: HashStyle): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return inspectString(value);
  if (typeof value === "number") return numberToS(value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof YamlSymbol) return inspectSymbol(value.name);
  if (value instanceof ReferenceTag) {
    return `!reference ${value.invalid ?? inspect(value.path, style)}`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => inspect(item, style)).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value).map(
      ([key, item]) => `${inspectKey(key, style)}${inspect(item, style)}`,
    );
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}

/** `to_s`: nil is empty, strings are themselves, symbols lose their colon, the rest inspect. */
function toS(value: unknown, style: HashStyle): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return numberToS(value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof YamlSymbol) return value.name;
  return inspect(value, style);
}

/** `inspect` of data as Psych loaded it (string keys, Ruby 3.3: `{"a"=>1}`). */
export function rubyInspect(value: unknown): string {
  return inspect(value, "string-keys");
}

/** `to_s` of data as Psych loaded it (string keys, Ruby 3.3: `{"a"=>1}`). */
export function rubyToS(value: unknown): string {
  return toS(value, "string-keys");
}

/** `inspect` of symbolized configuration (Ruby 3.4 symbol keys: `{name: "value"}`). */
export function rubyInspectSymbolKeys(value: unknown): string {
  return inspect(value, "symbol-keys");
}

/** `to_s` of symbolized configuration (Ruby 3.4 symbol keys: `{name: "value"}`). */
export function rubyToSSymbolKeys(value: unknown): string {
  return toS(value, "symbol-keys");
}
