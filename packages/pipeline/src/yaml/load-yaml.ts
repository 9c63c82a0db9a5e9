/**
 * Loads a CI/CD configuration file as GitLab's `Gitlab::Ci::Config::Yaml::Loader` does:
 * split into at most three pieces at `---` lines, parse each piece with Psych's rules, drop
 * blank documents (`reject_empty: true`), then check each document in turn (too big, then not
 * a mapping), and pick the header and the configuration (`Yaml::Result`): with two or more
 * documents of which the first is a mapping with a `spec` key, the first is the header and the
 * last the configuration; otherwise the first is the configuration and the others are ignored.
 * An empty file loads as an empty mapping.
 *
 * Each piece is loaded with the parsers (`parser-load.ts`: js-yaml, then the `yaml` package,
 * which words every error).
 */
import { isMap } from "../compose/deep-merge.js";
import { type Diagnostic, errorAt, type SourcePosition } from "../diagnostics.js";
import { recordOrigin } from "../source-map.js";
import { findExcess } from "./deep-size.js";
import { DEFAULT_YAML_LIMITS, TOO_BIG_MESSAGE, type YamlLimits } from "./limits.js";
import { lineIndex } from "./line-index.js";
import { type LoadedDocument, loadPieceWithParsers, type PieceResult } from "./parser-load.js";
import { type DocumentPiece, splitDocuments } from "./split-documents.js";
import { YamlSymbol } from "./yaml-symbol.js";

export interface LoadedYaml {
  /** The header document (`spec:` with `inputs`) when the file has one, else undefined. */
  header?: unknown;
  /** The configuration document; undefined when loading failed. */
  value: unknown;
  /** Empty when loading succeeded; otherwise the one error GitLab would report. */
  diagnostics: Diagnostic[];
}

const NOT_A_HASH = "Invalid configuration format";

export async function loadYaml(
  text: string,
  file: string,
  limits?: Partial<YamlLimits>,
): Promise<LoadedYaml> {
  const effective: YamlLimits = { ...DEFAULT_YAML_LIMITS, ...limits };
  const position = lineIndex(text, file);
  const documents: LoadedDocument[] = [];
  for (const piece of splitDocuments(text)) {
    const result = await loadPiece(piece, position, effective, file);
    if ("diagnostic" in result) return failed(result.diagnostic);
    if (result.tooBig || !isBlank(result.value)) documents.push(result);
  }
  for (const document of documents) {
    const excess =
      document.tooBig ??
      (document.measured ? undefined : findExcess(document.value, effective, document.start));
    if (excess) return failed(errorAt(TOO_BIG_MESSAGE, "", excess, file));
    if (!isMap(document.value)) return failed(errorAt(NOT_A_HASH, "", document.start, file));
  }
  const [first] = documents;
  const last = documents[documents.length - 1];
  if (documents.length > 1 && isMap(first?.value) && Object.hasOwn(first.value, "spec")) {
    return { header: first.value, value: last?.value, diagnostics: [] };
  }
  if (first) return { value: first.value, diagnostics: [] };
  const empty = {};
  recordOrigin(empty, position(0));
  return { value: empty, diagnostics: [] };
}

function failed(diagnostic: Diagnostic): LoadedYaml {
  return { value: undefined, diagnostics: [diagnostic] };
}

async function loadPiece(
  piece: DocumentPiece,
  position: (offset: number) => SourcePosition,
  limits: YamlLimits,
  file: string,
): Promise<PieceResult> {
  const at =
    piece.offset === 0
      ? position
      : (offset: number) => position(piece.offset + Math.max(0, offset));
  return loadPieceWithParsers(piece.text, at, limits, file);
}

/** ActiveSupport's `blank?`, which GitLab uses to drop empty documents. */
function isBlank(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return true;
  if (typeof value === "string") return /^\s*$/u.test(value);
  if (Array.isArray(value)) return value.length === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  if (value instanceof YamlSymbol) return value.name === "";
  return false;
}
