/**
 * The slow path: one piece parsed with the `yaml` package, whose errors use (or are mapped to)
 * libyaml's words, as a node tree for the builder (`build-value.ts`). The loader comes here
 * only when the fast path (js-yaml) did not load a piece cleanly — a syntax error, a document
 * over a limit, a value Psych refuses, or YAML the fast path leaves to this parser — so that
 * errors read, and such YAML loads, exactly as before.
 */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Parser,
  Scalar,
} from "yaml";
import { nestedDeeperThan } from "./cst-depth.js";
import type { YamlLimits } from "./limits.js";
import { syntaxProblem } from "./syntax-error.js";
import type { ScalarStyle, YamlNode } from "./yaml-node.js";

/** Every scalar stays a string (Psych's rules are applied afterwards); duplicate keys are fine. */
const COMPOSE_OPTIONS = { schema: "failsafe", uniqueKeys: false, version: "1.1" } as const;

export type ParsedPiece =
  /** The first document's root (null when empty) and where its content starts. */
  | { root: YamlNode | null; start: number }
  /** Nested or aliased beyond the limits: GitLab's "too big", here. */
  | { tooBig: number; start: number }
  /** A syntax error: libyaml's words for the problem, and where it is. */
  | { problem: string; offset: number };

export function parseWithYamlPackage(text: string, limits: YamlLimits): ParsedPiece {
  const tokens = Array.from(new Parser().parse(text));
  const documentToken = tokens.find((token): token is CST.Document => token.type === "document");
  if (documentToken && nestedDeeperThan(documentToken, 2 * limits.maxDepth + 2)) {
    return { tooBig: documentToken.offset, start: documentToken.offset };
  }
  // Psych.safe_load reads the first document of the piece and ignores the rest.
  let document: Document.Parsed | undefined;
  for (const composed of new Composer(COMPOSE_OPTIONS).compose(tokens, true)) {
    document = composed;
    break;
  }
  if (!document) return { root: null, start: 0 };
  const start = document.contents?.range[0] ?? 0;
  const error = firstError(document, text.length);
  if (error) {
    const offset = error.pos[0] < 0 ? text.length : error.pos[0];
    if (error.code === "RESOURCE_EXHAUSTION") return { tooBig: offset, start };
    return { problem: syntaxProblem(error), offset };
  }
  return { root: toNode(document.contents), start };
}

function firstError(document: Document.Parsed, end: number) {
  const offset = (pos: number) => (pos < 0 ? end : pos);
  return document.errors.reduce<(typeof document.errors)[number] | undefined>(
    (best, error) => (!best || offset(error.pos[0]) < offset(best.pos[0]) ? error : best),
    undefined,
  );
}

function styleOf(type: Scalar["type"]): ScalarStyle {
  if (type === Scalar.PLAIN) return "plain";
  if (type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED) return "block";
  return "quoted";
}

/** The `yaml` package's node as a YamlNode (anything else, such as a bare pair, is null). */
function toNode(node: unknown): YamlNode | null {
  if (isAlias(node)) return { kind: "alias", start: node.range?.[0] ?? 0, name: node.source };
  if (isScalar(node)) {
    return {
      kind: "scalar",
      start: node.range?.[0] ?? 0,
      end: node.range?.[1] ?? 0,
      tag: node.tag,
      anchor: node.anchor,
      text: String(node.source ?? node.value ?? ""),
      style: styleOf(node.type),
    };
  }
  if (isSeq(node)) {
    return {
      kind: "sequence",
      start: node.range?.[0] ?? 0,
      tag: node.tag,
      anchor: node.anchor,
      items: node.items.map(toNode),
    };
  }
  if (isMap(node)) {
    return {
      kind: "mapping",
      start: node.range?.[0] ?? 0,
      tag: node.tag,
      anchor: node.anchor,
      keys: node.items.map((pair) => toNode(pair.key)),
      values: node.items.map((pair) => toNode(pair.value)),
    };
  }
  return null;
}
