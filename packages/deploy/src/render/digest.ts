/**
 * Content addresses of rendered versions: `sha256:` of the canonical JSON of
 * `{ source, objects }` — object keys sorted at every level, no whitespace, `undefined` members
 * left out — so the same files, values and objects always give the same digest, whatever order
 * their keys were written in.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level. Throws on values JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
      }
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
      return `{${members.join(",")}}`;
    }
    default:
      throw new Error(`canonicalJson: a ${typeof value} has no JSON form`);
  }
}

/** `sha256:<hex>` of the canonical JSON of `{ source, objects }`. */
export function versionDigest(source: unknown, objects: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson({ source, objects })).digest("hex")}`;
}
