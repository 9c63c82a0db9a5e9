/**
 * Mappings of a loaded configuration, and the one merge GitLab applies to them for `extends`
 * and `include` (docs.gitlab.com/ci/yaml/includes/#merge-method-for-include). The YAML loader,
 * `!reference` resolution, `include` and `extends` all build mappings with these helpers, so
 * that what counts as a mapping, and how a key such as `__proto__` is stored, is decided once.
 */
import type { SourcePosition } from "../diagnostics.js";
import {
  copyEntryOrigins,
  copyOrigin,
  entryPosition,
  hasOrigin,
  positionOf,
  recordEntry,
  recordOrigin,
} from "../source-map.js";

export type ConfigMap = Record<string, unknown>;

/** A plain mapping as the loader builds it: not an array, not a tag object such as `!reference`. */
export function isMap(value: unknown): value is ConfigMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own, enumerable property even when the key is `__proto__`. */
export function setEntry(target: ConfigMap, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/**
 * Rails' `Hash#deep_merge`, which GitLab uses for `extends` and `include`: mappings merge key
 * by key, recursively; anything else (arrays included) in `over` replaces what `base` had.
 * Keys keep Ruby's insertion order: `base`'s first, then the keys only `over` has.
 * Neither input is modified. The result is reported where `over` was written, and each key
 * where its winning value was written.
 */
export function deepMerge(base: ConfigMap, over: ConfigMap): ConfigMap {
  const merged: ConfigMap = {};
  copyOrigin(over, merged);
  const baseKeys = Object.keys(base);
  const baseOnly: string[] = [];
  for (let index = 0; index < baseKeys.length; index++) {
    const key = baseKeys[index]!;
    setEntry(merged, key, base[key]);
    if (!Object.hasOwn(over, key)) baseOnly.push(key);
  }
  copyEntryOrigins(base, merged, baseOnly);
  const overKeys = Object.keys(over);
  for (let index = 0; index < overKeys.length; index++) {
    const key = overKeys[index]!;
    const value = over[key];
    const existing = Object.hasOwn(merged, key) ? merged[key] : undefined;
    setEntry(merged, key, isMap(existing) && isMap(value) ? deepMerge(existing, value) : value);
  }
  return merged;
}

/**
 * `maps.reduce(deepMerge, {})` — values, shared objects and positions alike — in one pass over
 * the keys: merging many files one after the other would copy every key merged so far at each
 * step.
 */
export function deepMergeAll(maps: readonly ConfigMap[]): ConfigMap {
  const [first] = maps;
  // Merging the first map into `{}` only copies it: the next merge copies it anyway, reading
  // its positions through to the same places.
  if (maps.length < 2 || !first) return deepMerge({}, first ?? {});
  if (maps.length <= FEW) return maps.slice(1).reduce<ConfigMap>(deepMerge, first);
  return mergeMany(maps);
}

/** Up to this many maps, merging them one after the other costs less. */
const FEW = 4;

/** `maps.slice(1).reduce(deepMerge, maps[0])` for two or more maps. */
function mergeMany(maps: readonly ConfigMap[]): ConfigMap {
  // Each key's values, in order, and the last map that has it.
  const values = new Map<string, unknown[]>();
  const lastWith = new Map<string, number>();
  maps.forEach((map, index) => {
    for (const key of Object.keys(map)) {
      const list = values.get(key);
      if (list) list.push(map[key]);
      else values.set(key, [map[key]]);
      lastWith.set(key, index);
    }
  });
  const merged: ConfigMap = {};
  for (const [key, list] of values) setEntry(merged, key, foldValues(list));

  // Positions, as the merges one by one leave them: the object reads through to the last map;
  // a key the last map lacks keeps the position it had, which is the first one recorded from
  // the last map that has it on (a merge reads a key it lacks through to the map it merged).
  const last = maps.length - 1;
  const kept: Array<[string, SourcePosition]> = [];
  for (const [key, index] of lastWith) {
    if (index === last) continue;
    let at: SourcePosition | undefined;
    for (let from = index; from < last && !at; from++) at = entryPosition(maps[from]!, key);
    if (at) kept.push([key, at]);
  }
  const final = maps[last]!;
  if (hasOrigin(final)) copyOrigin(final, merged);
  else if (kept.length > 0) {
    // Without positions of its own, the object is reported where the merge so far was.
    const before = maps.slice(0, last).findLast(hasOrigin);
    recordOrigin(merged, positionOf(before)!);
  }
  for (const [key, at] of kept) recordEntry(merged, key, at);
  return merged;
}

/** One key's value after merging maps that give it `values` in turn. */
function foldValues(values: readonly unknown[]): unknown {
  const end = values.length - 1;
  const final = values[end];
  if (!isMap(final)) return final;
  // Mappings merge only with the mappings right before them: anything else replaces.
  let start = end;
  while (start > 0 && isMap(values[start - 1])) start--;
  if (start === end) return final;
  const run = values.slice(start) as ConfigMap[];
  if (run.length > FEW) return mergeMany(run);
  return run.slice(1).reduce<ConfigMap>((acc, map) => deepMerge(acc, map), run[0]!);
}
