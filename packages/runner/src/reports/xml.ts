/**
 * A small non-validating XML reader, and the conversion GitLab applies before reading a JUnit
 * report: Rails' `Hash.from_xml` over Nokogiri (ActiveSupport XmlMini_Nokogiri `to_hash`,
 * ActiveSupport::XMLConverter, wrapped by GitLab's Gitlab::XmlConverter). In that shape an
 * element is a map of its attributes and child elements (repeated children become a list,
 * `-` in names becomes `_`), its text under `__content__`; an element holding only text becomes
 * that text, an empty one becomes null.
 */

export class XmlSyntaxError extends Error {
  override readonly name = "XmlSyntaxError";
}

export interface XmlElement {
  /** Local name (namespace prefix dropped, as Nokogiri's `name`). */
  name: string;
  attributes: [string, string][];
  children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;

function localName(qname: string): string {
  const colon = qname.indexOf(":");
  return colon >= 0 ? qname.slice(colon + 1) : qname;
}

/** Parses a document and returns its root element (undefined for an empty document). */
export function parseXml(source: string): XmlElement | undefined {
  const text = source.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  let pos = 0;

  const where = (at: number) => {
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    return { line, column: at - before.lastIndexOf("\n") };
  };
  const fail = (message: string, at = pos): never => {
    const { line, column } = where(at);
    throw new XmlSyntaxError(`${line}:${column}: FATAL: ${message}`);
  };
  const startsWith = (s: string) => text.startsWith(s, pos);
  const skipSpace = () => {
    while (pos < text.length && /[ \t\n]/.test(text[pos]!)) pos++;
  };
  const readName = (): string => {
    const start = pos;
    if (!NAME_START.test(text[pos] ?? "")) return "";
    pos++;
    while (pos < text.length && NAME_CHAR.test(text[pos]!)) pos++;
    return text.slice(start, pos);
  };
  const decode = (raw: string, at: number): string =>
    raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(";")) fail("EntityRef: expecting ';'", at);
      if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
      if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
      const value = ENTITIES[ref];
      if (value === undefined) fail(`Entity '${ref}' not defined`, at);
      return value!;
    });
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (startsWith("<?")) {
        const end = text.indexOf("?>", pos);
        if (end < 0) fail("ParsePI: PI xml never end ...");
        pos = end + 2;
      } else if (startsWith("<!--")) {
        const end = text.indexOf("-->", pos + 4);
        if (end < 0) fail("Comment not terminated");
        pos = end + 3;
      } else if (startsWith("<!DOCTYPE")) {
        let depth = 0;
        let quote = "";
        for (pos += 9; pos < text.length; pos++) {
          const c = text[pos]!;
          if (quote) {
            if (c === quote) quote = "";
          } else if (c === '"' || c === "'") quote = c;
          else if (c === "[") depth++;
          else if (c === "]") depth--;
          else if (c === ">" && depth === 0) break;
        }
        if (pos >= text.length) fail("DOCTYPE improperly terminated");
        pos++;
      } else {
        return;
      }
    }
  };

  const parseElement = (): XmlElement => {
    const open = pos;
    pos++;
    const qname = readName();
    if (qname === "") fail("StartTag: invalid element name");
    const element: XmlElement = { name: localName(qname), attributes: [], children: [] };
    const seen = new Set<string>();
    for (;;) {
      const before = pos;
      skipSpace();
      if (startsWith("/>")) {
        pos += 2;
        return element;
      }
      if (startsWith(">")) {
        pos++;
        break;
      }
      if (pos === before) fail(`Couldn't find end of Start Tag ${qname} line ${where(open).line}`);
      const attr = readName();
      if (attr === "") fail(`Couldn't find end of Start Tag ${qname} line ${where(open).line}`);
      skipSpace();
      if (text[pos] !== "=") fail(`Specification mandates value for attribute ${attr}`);
      pos++;
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail("AttValue: \" or ' expected");
      const end = text.indexOf(quote!, pos + 1);
      if (end < 0) fail("AttValue: ' expected");
      const raw = text.slice(pos + 1, end);
      if (raw.includes("<")) fail("Unescaped '<' not allowed in attributes values");
      if (seen.has(attr)) fail(`Attribute ${attr} redefined`);
      seen.add(attr);
      element.attributes.push([localName(attr), decode(raw.replace(/[\t\n]/g, " "), pos)]);
      pos = end + 1;
    }
    for (;;) {
      if (pos >= text.length) {
        fail(`Premature end of data in tag ${qname} line ${where(open).line}`);
      }
      if (startsWith("</")) {
        const at = pos;
        pos += 2;
        const closing = readName();
        skipSpace();
        if (closing !== qname) {
          fail(
            `Opening and ending tag mismatch: ${qname} line ${where(open).line} and ${closing}`,
            at,
          );
        }
        if (text[pos] !== ">") fail("expected '>'");
        pos++;
        return element;
      }
      if (startsWith("<!--")) {
        const end = text.indexOf("-->", pos + 4);
        if (end < 0) fail("Comment not terminated");
        pos = end + 3;
      } else if (startsWith("<![CDATA[")) {
        const end = text.indexOf("]]>", pos + 9);
        if (end < 0) fail("CData section not finished");
        element.children.push(text.slice(pos + 9, end));
        pos = end + 3;
      } else if (startsWith("<?")) {
        const end = text.indexOf("?>", pos);
        if (end < 0) fail("ParsePI: PI never end ...");
        pos = end + 2;
      } else if (startsWith("<")) {
        element.children.push(parseElement());
      } else {
        const next = text.indexOf("<", pos);
        const end = next < 0 ? text.length : next;
        element.children.push(decode(text.slice(pos, end), pos));
        pos = end;
      }
    }
  };

  if (text.trim() === "") return undefined;
  skipMisc();
  if (!startsWith("<")) fail("Start tag expected, '<' not found");
  const root = parseElement();
  skipMisc();
  if (pos < text.length) fail("Extra content at the end of the document");
  return root;
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
