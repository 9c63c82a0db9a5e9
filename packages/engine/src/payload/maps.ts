/** A YAML mapping as the pipeline package delivers it. */
export type KeywordMap = Record<string, unknown>;

export function isMapValue(value: unknown): value is KeywordMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
