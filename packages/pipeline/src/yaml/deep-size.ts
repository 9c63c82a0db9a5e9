/**
 * An estimate of GitLab's `Gitlab::Utils::DeepSize`: the sum of `ObjectSpace.memsize_of` over
 * every object of a loaded document (keys included, shared objects counted at each visit), and
 * the nesting depth of its hashes and arrays, the root counting 1.
 *
 * Object sizes follow 64-bit Ruby 3.2+/3.3 (variable-width slots of 40, 80, 160, 320 and 640
 * bytes): a String embeds when 25 + bytes fit a slot, an Array when 16 + 8 * length do; a Hash
 * of 1 to 8 entries takes 160 bytes, a larger one an st_table; Integers, floats, booleans and
 * nil cost nothing. It is an estimate: Ruby's exact figure depends on its version and build.
 */

import { isMap } from "../compose/deep-merge.js";
import type { SourcePosition } from "../diagnostics.js";
import { byteLength } from "../ruby/strings.js";
import { positionOf } from "../source-map.js";
import type { YamlLimits } from "./limits.js";

function slotOr(needed: number, heap: number): number {
  if (needed <= 40) return 40;
  if (needed <= 80) return 80;
  if (needed <= 160) return 160;
  if (needed <= 320) return 320;
  return needed <= 640 ? 640 : heap;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

export function stringSize(text: string): number {
  // At most 3 bytes per UTF-16 unit: 5 units always fit the smallest slot.
  if (text.length <= 5) return 40;
  const bytes = NON_ASCII.test(text) ? byteLength(text) : text.length;
  return slotOr(25 + bytes, 41 + bytes);
}

export function arraySize(length: number): number {
  return length === 0 ? 40 : slotOr(16 + 8 * length, 40 + 8 * length);
}

export function hashSize(entries: number): number {
  if (entries === 0) return 40;
  if (entries <= 8) return 160;
  const capacity = Math.max(32, 2 ** Math.ceil(Math.log2(entries)));
  const binBytes = capacity <= 128 ? 1 : capacity <= 32768 ? 2 : 4;
  return 40 + 56 + capacity * 24 + capacity * 2 * binBytes;
}

/** The size of a value that is neither a list nor a mapping. */
export function scalarSize(value: unknown): number {
  if (typeof value === "string") return stringSize(value);
  if (typeof value === "number")
    return Number.isInteger(value) && Math.abs(value) >= 2 ** 62 ? 40 : 0;
  if (value === null || value === undefined || typeof value === "boolean") return 0;
  return 40;
}

/**
 * Where `value` first goes over `limits` (the container being measured), or undefined when it
 * fits. Like DeepSize, it stops at the first excess.
 */
export function findExcess(
  value: unknown,
  limits: YamlLimits,
  start: SourcePosition,
): SourcePosition | undefined {
  const walk = new SizeWalk(limits, start);
  walk.visit(value, 1);
  return walk.excess;
}

/** One measurement; `visit` is false once the document went over a limit. */
class SizeWalk {
  total = 0;
  excess: SourcePosition | undefined;
  /** The container being measured. */
  private last: SourcePosition;

  constructor(
    private readonly limits: YamlLimits,
    start: SourcePosition,
  ) {
    this.last = start;
  }

  private add(bytes: number): boolean {
    this.total += bytes;
    if (this.total > this.limits.maxBytes) this.excess = this.last;
    return this.excess === undefined;
  }

  visit(node: unknown, depth: number): boolean {
    const list = Array.isArray(node);
    if (!list && !isMap(node)) return this.add(scalarSize(node));
    this.last = positionOf(node) ?? this.last;
    if (depth > this.limits.maxDepth) {
      this.excess = this.last;
      return false;
    }
    if (list) {
      if (!this.add(arraySize(node.length))) return false;
      for (const item of node) if (!this.visit(item, depth + 1)) return false;
      return true;
    }
    const keys = Object.keys(node);
    if (!this.add(hashSize(keys.length))) return false;
    for (const key of keys) {
      if (!this.add(stringSize(key)) || !this.visit(node[key], depth + 1)) return false;
    }
    return true;
  }
}
