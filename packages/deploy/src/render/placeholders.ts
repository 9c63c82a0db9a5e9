/**
 * Fills the placeholders of YAML templates: `__NAME__` (upper case words joined by single
 * underscores, looked up as `NAME`) and `${name}` (looked up as `name`), the two styles the seed
 * pipelines fill with `sed` today. Unlike `sed`, a value is put into the parsed YAML as a
 * scalar, so it can never add keys, list items or documents: a value with `: `, a newline or
 * `---` stays one string.
 *
 * Rules:
 * - Placeholders are filled in scalars only (keys and values, any quoting style); comments are
 *   left alone, so a comment may mention `__NAME__`.
 * - A plain (unquoted) scalar that is exactly one placeholder takes the type the value would
 *   have if written there by hand, by YAML 1.2's core schema (`replicas: __REPLICAS__` with
 *   `2` is the number 2, `true` a boolean); anything else (quoted, block, or text around the
 *   placeholder) is a string.
 * - A placeholder without a value is an error naming the file, the line and the placeholder;
 *   all of them are reported at once.
 * - `$${name}` is the escape for a literal `${name}` (a shell variable in a ConfigMap).
 *
 * `${...}` is taken out of the text before parsing (turned into private-use sentinels), so it
 * also works where `{` would otherwise open a flow mapping (`args: [${flag}]`).
 */
import { type Document, LineCounter, parseAllDocuments, type Scalar, visit } from "yaml";
import { RenderError, type RenderProblem } from "./errors.js";

const DOLLAR = "\uE000";
const ESCAPED = "\uE002";
const CLOSE = "\uE001";
const IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]*";
const DOLLAR_SOURCE = new RegExp(`\\$(\\$?)\\{(${IDENTIFIER})\\}`, "g");
const TOKEN = new RegExp(
  `${DOLLAR}(${IDENTIFIER})${CLOSE}|${ESCAPED}(${IDENTIFIER})${CLOSE}|__([A-Z0-9]+(?:_[A-Z0-9]+)*)__`,
  "g",
);
const SENTINEL = /[\uE000-\uE002]/;

/**
 * YAML 1.2 core schema resolution of plain scalars (https://yaml.org/spec/1.2.2/#1032-tag-resolution):
 * the values a hand-written plain scalar would not be a string for. The empty value is kept as
 * an empty string rather than null.
 */
const CORE_NON_STRING = [
  /^(?:null|Null|NULL|~)$/,
  /^(?:true|True|TRUE|false|False|FALSE)$/,
  /^[-+]?[0-9]+$/,
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$/,
  /^\.(?:nan|NaN|NAN)$/,
];

/** The value a plain scalar spelled `text` has under the core schema. */
export function plainScalarValue(text: string): unknown {
  if (!CORE_NON_STRING.some((pattern) => pattern.test(text))) return text;
  if (/^(?:null|Null|NULL|~)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^0o/.test(text)) return parseInt(text.slice(2), 8);
  if (/^0x/.test(text)) return parseInt(text.slice(2), 16);
  if (/inf|Inf|INF/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/nan|NaN|NAN/.test(text)) return NaN;
  return Number(text);
}

/** One YAML document of a template, filled. */
export interface FilledDocument {
  file: string;
  /** 1-based index of the document in its file (empty documents count). */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  /** The document as plain data (`null` for an empty document). */
  value: unknown;
}

interface Filled {
  documents: Document.Parsed[];
  lines: LineCounter;
}

function placeholderSpelling(match: RegExpExecArray): string {
  if (match[1] !== undefined) return `\${${match[1]}}`;
  if (match[2] !== undefined) return `$\${${match[2]}}`;
  return `__${match[3]}__`;
}

function fill(text: string, values: Record<string, string>, file: string): Filled {
  const lines = new LineCounter();
  if (SENTINEL.test(text)) {
    const offset = text.search(SENTINEL);
    const line = text.slice(0, offset).split("\n").length;
    throw new RenderError([
      { file, line, message: "contains a character U+E000–U+E002, which templates may not use" },
    ]);
  }
  const source = text.replace(DOLLAR_SOURCE, (_all, escaped: string, name: string) =>
    escaped ? `${ESCAPED}${name}${CLOSE}` : `${DOLLAR}${name}${CLOSE}`,
  );
  const documents = parseAllDocuments(source, { lineCounter: lines, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  const problems: RenderProblem[] = [];
  list.forEach((document, i) => {
    for (const error of document.errors) {
      problems.push({
        file,
        line: error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line,
        document: i + 1,
        message: `invalid YAML: ${error.message.split("\n")[0]}`,
      });
    }
  });
  if (problems.length > 0) throw new RenderError(problems);

  list.forEach((document, i) => {
    visit(document, {
      Scalar(_key, node: Scalar) {
        if (typeof node.value !== "string") return;
        const original = node.value;
        TOKEN.lastIndex = 0;
        if (!TOKEN.test(original)) return;
        const raw = node.range ? source.slice(node.range[0], node.range[1]) : "";
        let whole: RegExpExecArray | undefined;
        const filled = original.replace(TOKEN, (...args: unknown[]) => {
          const match = args.slice(0, -2) as unknown as RegExpExecArray;
          const offset = args[args.length - 2] as number;
          if (offset === 0 && match[0].length === original.length) whole = match;
          if (match[2] !== undefined) return `\${${match[2]}}`;
          const name = match[1] ?? match[3] ?? "";
          const value = Object.prototype.hasOwnProperty.call(values, name)
            ? values[name]
            : undefined;
          if (value === undefined) {
            const within = raw.indexOf(match[0]);
            const at = (node.range?.[0] ?? 0) + Math.max(0, within);
            problems.push({
              file,
              line: lines.linePos(at).line,
              document: i + 1,
              message: `no value for placeholder ${placeholderSpelling(match)}`,
            });
            return match[0];
          }
          return value;
        });
        const retype = whole !== undefined && whole[2] === undefined && node.type === "PLAIN";
        node.value = retype && filled !== "" ? plainScalarValue(filled) : filled;
      },
    });
  });
  if (problems.length > 0) throw new RenderError(problems);
  return { documents: list, lines };
}

/** Fills a (multi-document) YAML template and returns its documents as data. */
export function fillYaml(
  text: string,
  values: Record<string, string>,
  file: string,
): FilledDocument[] {
  const { documents, lines } = fill(text, values, file);
  return documents.map((document, i) => ({
    file,
    index: i + 1,
    line: lines.linePos(document.range[0]).line,
    value: document.toJS({ maxAliasCount: 1000 }) as unknown,
  }));
}

/** Fills a YAML template and prints it back as YAML (comments kept): for kustomize inputs. */
export function fillYamlText(text: string, values: Record<string, string>, file: string): string {
  const { documents } = fill(text, values, file);
  const printed = documents.map((document, i) => {
    const out = document.toString({ lineWidth: 0 });
    return i === 0 || out.startsWith("---") ? out : `---\n${out}`;
  });
  return printed
    .join("")
    .replace(
      new RegExp(`${DOLLAR}(${IDENTIFIER})${CLOSE}`, "g"),
      (_all, name: string) => `\${${name}}`,
    )
    .replace(
      new RegExp(`${ESCAPED}(${IDENTIFIER})${CLOSE}`, "g"),
      (_all, name: string) => `$\${${name}}`,
    );
}
