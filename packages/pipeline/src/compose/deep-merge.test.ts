import assert from "node:assert/strict";
import { test } from "node:test";
import { copyOrigin, positionOf, recordEntry, recordOrigin } from "../source-map.js";
import { type ConfigMap, deepMerge, deepMergeAll, isMap } from "./deep-merge.js";

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

test("merging many maps at once is merging them one after the other", () => {
  let state = 0x1234567;
  const next = (below: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
  const KEYS = ["a", "b", "c", "d", "__proto__"];
  const inputs = new Set<object>();
  let line = 0;
  const randomMap = (depth: number): ConfigMap => {
    const map: ConfigMap = {};
    inputs.add(map);
    // Some maps have no positions; some read through to another map's.
    const kind = next(5);
    if (kind > 0) recordOrigin(map, at("f.yml", ++line));
    else if (kind === 0 && next(2) === 0) copyOrigin(randomMap(0), map);
    for (let i = next(4); i > 0; i--) {
      const key = KEYS[next(KEYS.length)] as string;
      const r = next(4);
      const value = r === 0 && depth < 2 ? randomMap(depth + 1) : r === 1 ? [next(9)] : next(9);
      if (typeof value === "object") inputs.add(value);
      Object.defineProperty(map, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (next(4) > 0) recordEntry(map, key, at("f.yml", ++line));
    }
    return map;
  };
  /** Same values; the same input objects where the fold kept them; the same positions. */
  const same = (actual: unknown, expected: unknown, path: string): void => {
    if (expected === null || typeof expected !== "object") {
      assert.equal(actual, expected, path);
      return;
    }
    if (inputs.has(expected)) {
      assert.equal(actual, expected, `${path}: the same object`);
      return;
    }
    assert.ok(!inputs.has(actual as object), `${path}: a new object`);
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${path}: keys`);
    assert.deepEqual(positionOf(actual), positionOf(expected), `${path}: position`);
    for (const key of [...KEYS, "absent"]) {
      assert.deepEqual(
        positionOf(actual, key),
        positionOf(expected, key),
        `${path}.${key}: position`,
      );
    }
    for (const key of Object.keys(expected)) {
      same((actual as ConfigMap)[key], (expected as ConfigMap)[key], `${path}.${key}`);
    }
  };
  for (let round = 0; round < 2000; round++) {
    const maps = Array.from({ length: 1 + next(9) }, () => randomMap(0));
    const expected = maps.reduce<ConfigMap>((acc, map) => deepMerge(acc, map), {});
    same(deepMergeAll(maps), expected, `round ${round}`);
  }
});
