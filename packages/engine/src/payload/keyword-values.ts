/** Small readers for job keywords written either as one string or as a list. */

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
