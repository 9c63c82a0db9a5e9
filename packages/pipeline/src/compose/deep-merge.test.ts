import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf, recordEntry, recordOrigin } from "../source-map.js";
import { deepMerge, isMap } from "./deep-merge.js";

const at = (file: string, line: number) => ({ file, line, column: 1 });

test("Hash#deep_merge: mappings merge at any depth, anything else in `over` replaces", () => {
  const base = { a: { x: 1, y: [1, 2] }, b: { keep: true }, c: "base", d: { gone: 1 } };
  const over = { a: { y: [3], z: 2 }, c: { now: "a map" }, d: "scalar", e: null };
  const merged = deepMerge(base, over);
  assert.deepEqual(merged, {
    a: { x: 1, y: [3], z: 2 },
    b: { keep: true },
    c: { now: "a map" },
    d: "scalar",
    e: null,
  });
  assert.deepEqual(Object.keys(merged), ["a", "b", "c", "d", "e"], "base's keys first, as Ruby");
  assert.deepEqual(base.a, { x: 1, y: [1, 2] }, "inputs are not modified");
  assert.deepEqual(over.a, { y: [3], z: 2 });
});

test("a `__proto__` key is an ordinary own key", () => {
  const over = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  const merged = deepMerge({}, over);
  assert.ok(Object.hasOwn(merged, "__proto__"));
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.ok(isMap(merged));
});

test("positions: the result is where `over` was written, each key where its value won", () => {
  const base = { only_base: 1, both: { x: 1 } };
  recordOrigin(base, at("base.yml", 1));
  recordEntry(base, "only_base", at("base.yml", 2));
  recordEntry(base, "both", at("base.yml", 3));
  const over = { both: { y: 2 }, only_over: 3 };
  recordOrigin(over, at("over.yml", 1));
  recordEntry(over, "both", at("over.yml", 5));
  recordEntry(over, "only_over", at("over.yml", 6));
  const merged = deepMerge(base, over);
  assert.deepEqual(positionOf(merged), at("over.yml", 1));
  assert.deepEqual(positionOf(merged, "only_base"), at("base.yml", 2));
  assert.deepEqual(positionOf(merged, "both"), at("over.yml", 5));
  assert.deepEqual(positionOf(merged, "only_over"), at("over.yml", 6));
});
