/**
 * What Psych's `ToRuby` visitor does with an explicit tag under `YAML.safe_load` (permitted
 * classes: Symbol and GitLab's `!reference`), checked against Psych 4.0.3:
 *
 * - an unknown tag (`!foo`, `!!map`, `!!python/...`) is ignored: the node loads as if untagged,
 *   except that a tagged quoted scalar is read like a plain one (`!foo '12'` is 12);
 * - `!!str`/`!str` keep the text, `!!binary` decodes Base64, `!!float` converts with `Float()`,
 *   `!ruby/sym` makes a Symbol;
 * - tags that name a Ruby class (`!ruby/object:X`, `!ruby/regexp`, `!!set`, timestamps, ...)
 *   fail with Psych's "Tried to load unspecified class: X".
 */
import { disallowedClass, LoadError } from "./load-error.js";
import { rubyFloat, tokenizePlain } from "./psych-scalar.js";
import { YamlSymbol } from "./yaml-symbol.js";

export const REFERENCE_TAG = "!reference";
const STR_TAG = "tag:yaml.org,2002:str";
const OMAP_TAGS = new Set(["!omap", "tag:yaml.org,2002:omap"]);

/** The value of a scalar carrying `tag` (other than `!reference`). */
export function taggedScalar(tag: string, text: string): unknown {
  if (tag === "!binary" || tag === "tag:yaml.org,2002:binary") return decodeBase64(text);
  const str = /^!(?:str|ruby\/string)(?::(.*))?$/.exec(tag);
  if (str || tag === STR_TAG) {
    if (str?.[1]) throw disallowedClass(str[1]);
    return text;
  }
  const named: Record<string, string> = {
    "!ruby/object:BigDecimal": "BigDecimal",
    "!ruby/object:DateTime": "DateTime",
    "!ruby/object:Complex": "Complex",
    "!ruby/object:Rational": "Rational",
    "!ruby/regexp": "Regexp",
    "!ruby/range": "Range",
  };
  const className = named[tag];
  if (className) throw disallowedClass(className);
  if (tag === "!ruby/class" || tag === "!ruby/module") throw disallowedClass(text);
  if (tag === "!ruby/encoding") return text;
  if (tag === "tag:yaml.org,2002:float" || tag === "!float") return toFloat(tokenizePlain(text));
  if (/^!ruby\/sym(bol)?:?(.*)?$/.test(tag)) return new YamlSymbol(text);
  return tokenizePlain(text);
}

/** `Kernel#Float` on what the scanner made of the text. */
function toFloat(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const text = value.trim().replace(/(\d)_(?=\d)/g, "$1");
    const hex = /^([-+]?)0x([0-9a-fA-F]+)$/i.exec(text);
    if (hex) return (hex[1] === "-" ? -1 : 1) * Number.parseInt(hex[2] ?? "", 16);
    return rubyFloat(text);
  }
  const name = value === null ? "nil" : value instanceof YamlSymbol ? "Symbol" : String(value);
  throw new LoadError(`can't convert ${name} into Float`);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Ruby `unpack('m')`: lenient Base64; the bytes become a Latin-1 string. */
function decodeBase64(text: string): string {
  let bits = 0;
  let count = 0;
  let out = "";
  for (const ch of text) {
    const index = BASE64.indexOf(ch);
    if (index < 0) continue;
    bits = (bits << 6) | index;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += String.fromCharCode((bits >> count) & 0xff);
    }
  }
  return out;
}

export type SequenceKind = "array" | "omap" | "reference";

/** How a sequence with `tag` loads; throws for tags that name a class. */
export function sequenceKind(tag: string | undefined): SequenceKind {
  if (tag === undefined) return "array";
  if (tag === REFERENCE_TAG) return "reference";
  if (OMAP_TAGS.has(tag)) return "omap";
  const typed = /^!(?:seq|ruby\/array):(.*)$/.exec(tag);
  if (typed) throw disallowedClass(typed[1] ?? "");
  return "array";
}

export type MappingKind = "hash" | "reference" | "string";

/** How a mapping with `tag` loads; throws for tags that name a class. */
export function mappingKind(tag: string | undefined): MappingKind {
  if (tag === undefined) return "hash";
  if (tag === REFERENCE_TAG) return "reference";
  const struct = /^!ruby\/struct:?(.*)?$/.exec(tag);
  if (struct) throw disallowedClass(struct[1] || "Struct");
  const object = /^!ruby\/object:?(.*)?$/.exec(tag);
  if (object) {
    const name = object[1] || "Object";
    if (name === "Hash") return "hash";
    throw disallowedClass(name);
  }
  const str = /^!(?:str|ruby\/string)(?::(.*))?$/.exec(tag);
  if (str || tag === STR_TAG) {
    if (str?.[1]) throw disallowedClass(str[1]);
    return "string";
  }
  const classTags: Array<[RegExp, string | undefined]> = [
    [/^!ruby\/array:(.*)$/, undefined],
    [/^!ruby\/range$/, "Range"],
    [/^!ruby\/exception:?(.*)?$/, "Exception"],
    [/^!(?:set|ruby\/hash-with-ivars:(.+))$/, "Psych::Set"],
    [/^tag:yaml\.org,2002:set$/, "Psych::Set"],
    [/^!(?:map|ruby\/hash):(.*)$/, undefined],
    [/^!(?:omap|ruby\/marshalable:(.*))$/, "Psych::Omap"],
    [/^tag:yaml\.org,2002:omap$/, "Psych::Omap"],
  ];
  for (const [pattern, fallback] of classTags) {
    const match = pattern.exec(tag);
    if (match) throw disallowedClass(match[1] || fallback || "");
  }
  return "hash";
}
