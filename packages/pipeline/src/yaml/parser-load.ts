/**
 * A document piece loaded with the parsers, fastest first: the block reader
 * (`block-load.ts`), which reads the part of YAML that CI files are written in line by line;
 * when it leaves the piece alone, js-yaml (`js-yaml-load.ts`); and when that does not load the
 * piece cleanly — js-yaml finds an error, the document is over a limit, Psych would refuse a
 * value, or the piece holds YAML left to the slower reader — the `yaml` package
 * (`yaml-package-tree.ts`), whose errors name and place problems as libyaml does. All three
 * build values with the same rules (`build-value.ts`), and the first two give the same result
 * wherever the first gives one; errors, the cold path, are always worded by the last.
 */
import { type Diagnostic, errorAt, type SourcePosition } from "../diagnostics.js";
import { loadBlockYaml } from "./block-load.js";
import { buildNode, newBuildContext } from "./build-value.js";
import type { YamlLimits } from "./limits.js";
import { LoadError } from "./load-error.js";

/** One document as loaded, before the limits and the shape are checked. */
export interface LoadedDocument {
  value: unknown;
  start: SourcePosition;
  tooBig?: SourcePosition | undefined;
  /** Known to be within the size and depth limits (measured while loading). */
  measured?: boolean;
}

export type PieceResult = LoadedDocument | { diagnostic: Diagnostic };

/**
 * The piece `text`, whose offsets `at` places in the file, loaded with the block reader, else
 * js-yaml, else the `yaml` package.
 */
export async function loadPieceWithParsers(
  text: string,
  at: (offset: number) => SourcePosition,
  limits: YamlLimits,
  file: string,
): Promise<PieceResult> {
  // Each attempt gets a fresh context: one that fails leaves anchors and counters behind.
  // js-yaml loads only for a piece the block reader leaves alone.
  const fast =
    loadBlockYaml(newBuildContext(text, at, limits)) ??
    (await import("./js-yaml-load.js")).loadWithJsYaml(newBuildContext(text, at, limits));
  if (fast) return { value: fast.value, start: at(fast.start), measured: fast.measured };
  // The cold path (an error, a limit, YAML js-yaml reads otherwise than Psych): the `yaml`
  // package loads only then.
  const { parseWithYamlPackage } = await import("./yaml-package-tree.js");
  const parsed = parseWithYamlPackage(text, limits);
  if ("problem" in parsed) {
    const where = at(parsed.offset);
    const message = `${parsed.problem} at line ${where.line} column ${where.column}`;
    return { diagnostic: errorAt(message, "", where, file) };
  }
  const start = at(parsed.start);
  if ("tooBig" in parsed) return { value: null, start, tooBig: at(parsed.tooBig) };
  const context = newBuildContext(text, at, limits);
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
