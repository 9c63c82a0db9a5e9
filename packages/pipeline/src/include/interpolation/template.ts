/**
 * `$[[ ... ]]` interpolation over a parsed configuration, as GitLab does it
 * (Gitlab::Ci::Config::Interpolation::Template, Block, Access; docs.gitlab.com/ci/inputs/):
 * every string (mapping keys included) is scanned for blocks; a string that is exactly one block
 * takes the value with its type (array, number, boolean...), otherwise each block is replaced by
 * the value's text. `$[[ matrix.* ]]` is left for `parallel:matrix`.
 */
import { RE2JS } from "re2js";
import { isMap, setEntry } from "../../compose/deep-merge.js";
import { rubyToSSymbolKeys } from "../../ruby/inspect.js";
import { byteLength } from "../../ruby/strings.js";
import { copyOrigin, positionOf, recordEntry } from "../../source-map.js";
import { applyFunctions, type FunctionContext, MAX_FUNCTIONS } from "./functions.js";

export interface InterpolationContext {
  inputs: Record<string, unknown>;
  /** `$[[ component.* ]]` values, only those the header's `spec:component` lists. */
  component: Record<string, unknown>;
}

export interface TemplateError {
  message: string;
  /** Where the string holding the block sits in the interpolated document. */
  path: Array<string | number>;
}

export interface TemplateResult {
  value: unknown;
  errors: TemplateError[];
}

// GitLab's limits (Interpolation::Template, Access, Config).
const MAX_BLOCKS = 10_000;
const MAX_ACCESS_OBJECTS = 5;
const MAX_ACCESS_BYTES = 1024;
const MAX_NODES = 500_000;
const MAX_NODE_BYTES = 1024 * 1024;
const SKIPPED_CONTEXTS = new Set(["matrix"]);

const BLOCK = RE2JS.compile("\\$\\[\\[\\s*(\\S.*?\\S)\\s*\\]\\]");

type BlockResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Ruby's `str.split(sep, limit)` for a positive limit. */
function splitLimit(text: string, separator: string, limit: number): string[] {
  const parts = text.split(separator);
  if (parts.length <= limit) return parts;
  return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(separator)];
}

/** Ruby's `str.split(sep)`: trailing empty fields are dropped. */
function splitDroppingTrailing(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

class Interpolator {
  readonly errors: TemplateError[] = [];
  private readonly blocks = new Map<string, BlockResult>();
  private nodes = 0;
  private stopped = false;

  constructor(
    private readonly ctx: InterpolationContext,
    private readonly fnCtx: FunctionContext,
  ) {}

  walk(node: unknown, path: Array<string | number>): unknown {
    if (this.stopped) return node;
    if (++this.nodes > MAX_NODES) return this.stop("config too large", path, node);
    if (Array.isArray(node)) {
      const out = node.map((item, index) => this.walk(item, [...path, index]));
      copyOrigin(node, out);
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      copyOrigin(node, out);
      for (const [key, item] of Object.entries(node)) {
        const newKey = this.walk(key, [...path, key]);
        const name = typeof newKey === "string" ? newKey : rubyToSSymbolKeys(newKey);
        setEntry(out, name, this.walk(item, [...path, key]));
        const at = positionOf(node, key);
        if (at && name !== key) recordEntry(out, name, at);
      }
      return out;
    }
    if (typeof node === "string") return this.string(node, path);
    return node;
  }

  private stop(message: string, path: Array<string | number>, node: unknown): unknown {
    this.errors.push({ message, path });
    this.stopped = true;
    return node;
  }

  private string(node: string, path: Array<string | number>): unknown {
    if (!node.includes("$[[")) return node;
    if (byteLength(node) > MAX_NODE_BYTES) return this.stop("config node too large", path, node);
    const found: Array<{ text: string; result: BlockResult }> = [];
    for (const match of BLOCK.matchAll(node)) {
      const text = match[0] as string;
      let result = this.blocks.get(text);
      if (!result) {
        result = this.evaluate(text, match[1] as string);
        this.blocks.set(text, result);
        if (this.blocks.size > MAX_BLOCKS)
          return this.stop("too many interpolation blocks", path, node);
        if (!result.ok) this.errors.push({ message: result.error, path });
      }
      found.push({ text, result });
    }
    if (found.length === 0 || found.some((block) => !block.result.ok)) return node;
    const first = found[0] as { text: string; result: { ok: true; value: unknown } };
    if (found.length === 1 && first.text.length === node.length) return first.result.value;
    let out = node;
    for (const block of found) {
      if (block.result.ok) out = out.split(block.text).join(rubyToSSymbolKeys(block.result.value));
    }
    return out;
  }

  private evaluate(text: string, data: string): BlockResult {
    const [access = "", ...functions] = splitDroppingTrailing(data, "|").map((part) => part.trim());
    if (SKIPPED_CONTEXTS.has(access.split(".")[0] ?? "")) return { ok: true, value: text };
    const objects = splitLimit(access, ".", MAX_ACCESS_OBJECTS);
    const problems: string[] = [];
    if (objects.length <= 1) problems.push("invalid interpolation access pattern");
    if (byteLength(access) > MAX_ACCESS_BYTES) {
      problems.push("maximum interpolation expression size exceeded");
    }
    if (problems.length > 0) return { ok: false, error: problems.join(", ") };
    let value: unknown = this.ctx;
    for (const key of objects) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return { ok: false, error: `unknown interpolation key: \`${key}\`` };
      }
      if (!Object.hasOwn(value, key)) {
        return { ok: false, error: `unknown interpolation key: \`${key}\`` };
      }
      value = (value as Record<string, unknown>)[key];
    }
    if (functions.length > MAX_FUNCTIONS) {
      return { ok: false, error: "too many functions in interpolation block" };
    }
    const result = applyFunctions(value, functions, this.fnCtx);
    return result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error };
  }
}

/** Interpolates every `$[[ ]]` block of `value`; positions are carried to the new objects. */
export function interpolateTemplate(
  value: unknown,
  ctx: InterpolationContext,
  fnCtx: FunctionContext = {},
): TemplateResult {
  const interpolator = new Interpolator(ctx, fnCtx);
  const out = interpolator.walk(value, []);
  return { value: out, errors: interpolator.errors };
}
