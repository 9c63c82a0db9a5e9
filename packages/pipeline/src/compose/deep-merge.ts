import { copyEntryOrigin, copyOrigin } from "../source-map.js";

export type ConfigMap = Record<string, unknown>;

export function isMap(value: unknown): value is ConfigMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own property even when the key is `__proto__`. */
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
