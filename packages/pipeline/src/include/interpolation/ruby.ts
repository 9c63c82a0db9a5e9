/**
 * How GitLab turns a value into text when an input is used inside a larger string
 * (docs.gitlab.com/ci/inputs/#input-types: "the array input is converted to its string
 * representation"): Ruby's `to_s`, which for arrays and hashes is `inspect`.
 */

export function rubyToS(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return rubyInspect(value);
}

const SYMBOL_KEY = /^[A-Za-z_][A-Za-z0-9_]*[?!]?$/;

/**
 * Ruby's `inspect` for YAML data. Keys of included configuration are symbols in GitLab, so
 * hashes print as Ruby 3.4 does for symbol keys: `{name: "value"}`.
 */
export function rubyInspect(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) =>
      SYMBOL_KEY.test(key)
        ? `${key}: ${rubyInspect(item)}`
        : `${JSON.stringify(key)}: ${rubyInspect(item)}`,
    );
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}
