/**
 * Loads a CI/CD configuration file as GitLab's `Gitlab::Ci::Config::Yaml::Loader` does:
 * split into at most three pieces at `---` lines, parse each piece with Psych's rules, drop
 * blank documents (`reject_empty: true`), then check each document in turn (too big, then not
 * a mapping), and pick the header and the configuration (`Yaml::Result`): with two or more
 * documents of which the first is a mapping with a `spec` key, the first is the header and the
 * last the configuration; otherwise the first is the configuration and the others are ignored.
 * An empty file loads as an empty mapping.
 *
 * Each piece is loaded with js-yaml (`js-yaml-load.ts`), which is fast. When that does not
 * load the piece cleanly — js-yaml finds an error, the document is over a limit, Psych would
 * refuse a value, or the piece holds YAML left to the slower reader — the piece is loaded again
 * with the `yaml` package (`yaml-package-tree.ts`), whose errors name and place problems as
 * libyaml does. Both build values with the same rules (`build-value.ts`); errors, the cold
 * path, are always worded by the second.
 */
import { isMap } from "../compose/deep-merge.js";
import { type Diagnostic, errorAt, type SourcePosition } from "../diagnostics.js";
import { recordOrigin } from "../source-map.js";
import { buildNode, newBuildContext } from "./build-value.js";
import { findExcess } from "./deep-size.js";
import { loadWithJsYaml } from "./js-yaml-load.js";
import { DEFAULT_YAML_LIMITS, TOO_BIG_MESSAGE, type YamlLimits } from "./limits.js";
import { lineIndex } from "./line-index.js";
import { LoadError } from "./load-error.js";
import { type DocumentPiece, splitDocuments } from "./split-documents.js";
import { parseWithYamlPackage } from "./yaml-package-tree.js";
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

interface LoadedDocument {
  value: unknown;
  start: SourcePosition;
  tooBig?: SourcePosition | undefined;
  /** Known to be within the size and depth limits (measured while loading). */
  measured?: boolean;
}

type PieceResult = LoadedDocument | { diagnostic: Diagnostic };

export function loadYaml(text: string, file: string, limits?: Partial<YamlLimits>): LoadedYaml {
  const effective: YamlLimits = { ...DEFAULT_YAML_LIMITS, ...limits };
  const position = lineIndex(text, file);
  const documents: LoadedDocument[] = [];
  for (const piece of splitDocuments(text)) {
    const result = loadPiece(piece, position, effective, file);
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

function loadPiece(
  piece: DocumentPiece,
  position: (offset: number) => SourcePosition,
  limits: YamlLimits,
  file: string,
): PieceResult {
  const at =
    piece.offset === 0
      ? position
      : (offset: number) => position(piece.offset + Math.max(0, offset));
  const fast = loadWithJsYaml(newBuildContext(piece.text, at, limits));
  if (fast) return { value: fast.value, start: at(fast.start), measured: fast.measured };
  const parsed = parseWithYamlPackage(piece.text, limits);
  if ("problem" in parsed) {
    const where = at(parsed.offset);
    const message = `${parsed.problem} at line ${where.line} column ${where.column}`;
    return { diagnostic: errorAt(message, "", where, file) };
  }
  const start = at(parsed.start);
  if ("tooBig" in parsed) return { value: null, start, tooBig: at(parsed.tooBig) };
  const context = newBuildContext(piece.text, at, limits);
  try {
    const value = buildNode(context, parsed.root, 1);
    return { value, start, tooBig: context.tooBig };
  } catch (caught) {
    if (caught instanceof LoadError) {
      return { diagnostic: errorAt(caught.message, "", caught.position ?? start, file) };
    }
    if (caught instanceof RangeError) return { value: null, start, tooBig: start };
    throw caught;
  }
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
