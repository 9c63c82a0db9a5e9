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

const SLOTS = [40, 80, 160, 320, 640];

function slotOr(needed: number, heap: number): number {
  return SLOTS.find((slot) => slot >= needed) ?? heap;
}

export function stringSize(text: string): number {
  const bytes = byteLength(text);
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

function scalarSize(value: unknown): number {
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
  let total = 0;
  let excess: SourcePosition | undefined;
  let last = start;

  const add = (bytes: number): boolean => {
    total += bytes;
    if (total > limits.maxBytes) excess = last;
    return excess === undefined;
  };

  const visit = (node: unknown, depth: number): boolean => {
    if (!Array.isArray(node) && !isMap(node)) return add(scalarSize(node));
    last = positionOf(node) ?? last;
    if (depth > limits.maxDepth) {
      excess = last;
      return false;
    }
    if (Array.isArray(node)) {
      if (!add(arraySize(node.length))) return false;
      return node.every((item) => visit(item, depth + 1));
    }
    const entries = Object.entries(node);
    if (!add(hashSize(entries.length))) return false;
    return entries.every(([key, item]) => add(stringSize(key)) && visit(item, depth + 1));
  };

  visit(value, 1);
  return excess;
}
