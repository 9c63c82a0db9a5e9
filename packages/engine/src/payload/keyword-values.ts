/** Small readers for job keywords whose YAML forms vary (string or list, string or map). */
import { isMapValue } from "./maps.js";

/** `script:`-like keywords: a string or a list, nested lists flattened (GitLab flattens `!reference` results). */
export function scriptLines(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [String(value)];
  return value.flat(10).map((line) => String(line));
}

/** A list of strings from a string or a list. */
export function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => String(item));
}

/** `name` of a keyword written as a string or as a map with `name`. */
export function nameOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isMapValue(value) && typeof value.name === "string") return value.name;
  return undefined;
}
