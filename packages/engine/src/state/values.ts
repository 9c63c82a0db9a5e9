/** Small readers for a job's YAML keywords (`PlannedJob.definition`). */

export type KeywordMap = Record<string, unknown>;

export function isMap(value: unknown): value is KeywordMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
