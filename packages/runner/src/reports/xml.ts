/**
 * The conversion GitLab applies before reading a JUnit report: Rails' `Hash.from_xml` over
 * Nokogiri (ActiveSupport XmlMini_Nokogiri `to_hash`, ActiveSupport::XMLConverter, wrapped by
 * GitLab's Gitlab::XmlConverter). In that shape an element is a map of its attributes and child
 * elements (repeated children become a list, `-` in names becomes `_`), its text under
 * `__content__`; an element holding only text becomes that text, an empty one becomes null.
 * XML itself is read by fast-xml-parser. What is added here is what libxml2 (under Nokogiri)
 * does differently: its wording for the common syntax errors (GitLab shows it in the report's
 * error), a document with more than one root, undefined entities being errors, and tabs and
 * newlines in attribute values becoming spaces.
 */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from "fast-xml-parser";

export class XmlSyntaxError extends Error {
  override readonly name = "XmlSyntaxError";
}

export interface XmlElement {
  /** Local name (namespace prefix dropped, as Nokogiri's `name`). */
  name: string;
  attributes: [string, string][];
  children: (XmlElement | string)[];
}

/**
 * fast-xml-parser's validation messages in libxml2's words (`<line>`: the line where the tag
 * left open starts), and `"end"` where libxml2 reports the error at the end of the document.
 */
const LIBXML2_WORDING: [RegExp, string, "end"?][] = [
  [
    /^Expected closing tag '(.+)' \(opened in line (\d+), col \d+\) instead of closing tag '(.+)'\.$/,
    "Opening and ending tag mismatch: $1 line $2 and $3",
  ],
  [/^Unclosed tag '(.+)'\.$/, "Premature end of data in tag $1 line <line>", "end"],
  [/^Invalid '.*"(.+)"\]' found\.$/, "Premature end of data in tag $1 line <line>", "end"],
  [/^Attribute '(.+)' is repeated\.$/, "Attribute $1 redefined"],
  [
    /^(Extra text at the end|Multiple possible root nodes found\.)$/,
    "Extra content at the end of the document",
  ],
  [/^Start tag expected\.$/, "Start tag expected, '<' not found"],
  [/^char '&' is not expected\.$/, "EntityRef: expecting ';'"],
];

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

class UndefinedEntity extends Error {
  constructor(readonly ref: string) {
    super(`Entity '${ref}' not defined`);
  }
}

/** XML's entities, character references and the DOCTYPE's entities; others are errors. */
function xmlEntities(): EntityDecoderOptions {
  let declared: Record<string, string> = {};
  return {
    setExternalEntities: () => undefined,
    setXmlVersion: () => undefined,
    reset: () => (declared = {}),
    addInputEntities: (entities) => (declared = { ...declared, ...entities }),
    decode: (text) =>
      text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[^;&\s]+);/g, (_, ref: string) => {
        if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
        if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
        const value = PREDEFINED[ref] ?? declared[ref];
        if (value === undefined) throw new UndefinedEntity(ref);
        return value;
      }),
  };
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  captureMetaData: true,
  entityDecoder: xmlEntities(),
  attributeValueProcessor: (_name, value: string) => value.replace(/[\t\n]/g, " "),
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

type Node = Record<string | symbol, unknown> & { ":@"?: Record<string, string> };

function toElement(node: Node): XmlElement {
  const name = Object.keys(node).find((k) => k !== ":@")!;
  const children = (node[name] as Node[]).map((child) =>
    "#text" in child ? String(child["#text"]) : toElement(child),
  );
  return { name, attributes: Object.entries(node[":@"] ?? {}), children };
}

type Position = { line: number; col: number };

function positionOf(text: string, at: number): Position {
  return { line: text.slice(0, at).split("\n").length, col: at - text.lastIndexOf("\n", at - 1) };
}

function syntaxError(text: string, message: string, at: number | Position): XmlSyntaxError {
  const { line, col } = typeof at === "number" ? positionOf(text, at) : at;
  return new XmlSyntaxError(`${line}:${col}: FATAL: ${message}`);
}

/** A validation failure as libxml2 words and places it. */
function validationError(text: string, err: Position & { msg: string }): XmlSyntaxError {
  const rule = LIBXML2_WORDING.find(([pattern]) => pattern.test(err.msg));
  if (!rule) return syntaxError(text, err.msg, err);
  const [pattern, wording, where] = rule;
  let message = err.msg.replace(pattern, wording);
  const open = /in tag (\S+) line <line>$/.exec(message)?.[1];
  if (open) {
    const { line } = positionOf(text, text.lastIndexOf(`<${open}`));
    message = message.replace("<line>", String(line));
  }
  return syntaxError(text, message, where === "end" ? text.length : err);
}

/** Parses a document and returns its root element (undefined for an empty document). */
export function parseXml(source: string): XmlElement | undefined {
  const text = source.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (text.trim() === "") return undefined;
  if (!text.trimStart().startsWith("<")) {
    throw syntaxError(text, "Start tag expected, '<' not found", 0);
  }
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) throw validationError(text, verdict.err);
  let roots: Node[];
  try {
    roots = parser.parse(text) as Node[];
  } catch (err) {
    if (!(err instanceof UndefinedEntity)) throw syntaxError(text, (err as Error).message, 0);
    throw syntaxError(text, err.message, Math.max(0, text.indexOf(`&${err.ref};`)));
  }
  // The validator lets a second root through after a self-closing first one.
  if (roots.length > 1) {
    const { startIndex } = roots[1]![META] as { startIndex: number };
    throw syntaxError(text, "Extra content at the end of the document", startIndex);
  }
  return toElement(roots[0]!);
}

/** A value in the Rails hash shape. */
export type XmlValue = string | XmlHash | XmlValue[] | null;
export type XmlHash = Map<string, XmlValue>;

const CONTENT = "__content__";
const DISALLOWED_TYPES = ["symbol", "yaml"];

/** Ruby's `blank?` for the values in this shape. */
export function blank(value: XmlValue | undefined): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === "string") return /^\s*$/u.test(value);
  if (value instanceof Map) return value.size === 0;
  return value.length === 0;
}

/** Nokogiri's `to_hash` for one element, then keys normalized (`-` → `_`). */
function toRawHash(element: XmlElement, parent: Map<string, unknown>): void {
  const node = new Map<string, unknown>();
  const existing = parent.get(element.name);
  if (Array.isArray(existing)) existing.push(node);
  else if (existing instanceof Map) parent.set(element.name, [existing, node]);
  else parent.set(element.name, node);
  for (const child of element.children) {
    if (typeof child === "string") node.set(CONTENT, ((node.get(CONTENT) as string) ?? "") + child);
    else toRawHash(child, node);
  }
  if (node.size > 1 && blank((node.get(CONTENT) as string | undefined) ?? null))
    node.delete(CONTENT);
  for (const [name, value] of element.attributes) node.set(name, value);
}

function normalizeKeys(value: unknown): unknown {
  if (value instanceof Map) {
    const out = new Map<string, unknown>();
    for (const [k, v] of value) out.set(k.replace(/-/g, "_"), normalizeKeys(v));
    return out;
  }
  if (Array.isArray(value)) return value.map(normalizeKeys);
  return value;
}

/** ActiveSupport::XMLConverter#deep_to_h. */
function deepToH(value: unknown): XmlValue {
  if (value instanceof Map) return processHash(value as Map<string, unknown>);
  if (Array.isArray(value)) {
    const items = value.map(deepToH);
    return items.length > 1 ? items : (items[0] ?? null);
  }
  if (typeof value === "string") return value;
  return null;
}

function processHash(value: Map<string, unknown>): XmlValue {
  const type = value.get("type");
  if (typeof type === "string" && DISALLOWED_TYPES.includes(type)) {
    throw new Error(`Disallowed type attribute: ${JSON.stringify(type)}`);
  }
  const content = value.get(CONTENT);
  if (type === "array") {
    const entries = [...value.values()].find((v) => typeof v !== "string");
    if (entries === undefined || content === "") return [];
    if (Array.isArray(entries)) return entries.map(deepToH);
    return [deepToH(entries)];
  }
  if (type === "file" || (typeof content === "string" && (value.size === 1 || !blank(content)))) {
    return typeof content === "string" ? content : null;
  }
  if (type === "string" && value.get("nil") !== "true") return "";
  const nothing = value.size === 0 || value.get("nil") === "true";
  const garbage = type !== undefined && !(type instanceof Map) && value.size === 1;
  if (nothing || garbage) return null;
  const out: XmlHash = new Map();
  for (const [k, v] of value) out.set(k, deepToH(v));
  return out;
}

/**
 * Rails' Hash.from_xml as GitLab's XmlConverter runs it: undefined for an empty document;
 * throws XmlSyntaxError for malformed XML and Error for a disallowed `type` attribute.
 */
export function xmlToHash(source: string): XmlValue | undefined {
  const root = parseXml(source);
  if (!root) return undefined;
  const top = new Map<string, unknown>();
  toRawHash(root, top);
  return deepToH(normalizeKeys(top));
}
