/**
 * Mappings of a loaded configuration, and the one merge GitLab applies to them for `extends`
 * and `include` (docs.gitlab.com/ci/yaml/includes/#merge-method-for-include). The YAML loader,
 * `!reference` resolution, `include` and `extends` all build mappings with these helpers, so
 * that what counts as a mapping, and how a key such as `__proto__` is stored, is decided once.
 */
import { copyEntryOrigin, copyOrigin } from "../source-map.js";

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
  for (const [key, value] of Object.entries(base)) {
    setEntry(merged, key, value);
    if (!Object.hasOwn(over, key)) copyEntryOrigin(base, merged, key);
  }
  for (const [key, value] of Object.entries(over)) {
    const existing = Object.hasOwn(merged, key) ? merged[key] : undefined;
    setEntry(merged, key, isMap(existing) && isMap(value) ? deepMerge(existing, value) : value);
  }
  return merged;
}
