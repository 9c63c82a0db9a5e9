/**
 * The merge GitLab applies to included files (docs.gitlab.com/ci/yaml/includes/#merge-method-for-include):
 * hashes merge at any depth, anything else (arrays included) in the later piece replaces the
 * earlier one. New mappings keep the positions the loader recorded for each key.
 */
import { copyEntryOrigin, copyOrigin } from "../source-map.js";

export type ConfigMap = Record<string, unknown>;

/** A plain mapping from YAML (not an array, not a tag object such as `!reference`). */
export function isPlainMap(value: unknown): value is ConfigMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own, enumerable property even for the key `__proto__`. */
export function setKey(target: ConfigMap, key: string, value: unknown): void {
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

/** `base` deep-merged with `over` on top; neither input changes. */
export function deepMerge(base: ConfigMap, over: ConfigMap): ConfigMap {
  const merged: ConfigMap = {};
  copyOrigin(over, merged);
  for (const [key, value] of Object.entries(base)) {
    setKey(merged, key, value);
    if (!Object.hasOwn(over, key)) copyEntryOrigin(base, merged, key);
  }
  for (const [key, value] of Object.entries(over)) {
    const before = Object.hasOwn(merged, key) ? merged[key] : undefined;
    setKey(merged, key, isPlainMap(before) && isPlainMap(value) ? deepMerge(before, value) : value);
  }
  return merged;
}

/** A shallow copy of `map` without `key`, keeping positions. */
export function withoutKey(map: ConfigMap, key: string): ConfigMap {
  const copy: ConfigMap = {};
  copyOrigin(map, copy);
  for (const [k, value] of Object.entries(map)) if (k !== key) setKey(copy, k, value);
  return copy;
}
