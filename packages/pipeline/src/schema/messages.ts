/**
 * GitLab's wording for schema findings: `<location> config <problem>` for an entry's own value,
 * `<location> <attribute> <problem>` for an attribute, lower-cased as a whole as GitLab does
 * (`Gitlab::Config::Entry::Validator#messages`). Keyword-specific texts come from GitLab's
 * entries and validators; the rest describe the schema rule in the same style.
 */
import { type GitLabLocation, humanize, subject } from "./location.js";
import { isPlainObject } from "./pointer.js";

export interface Finding {
  location: GitLabLocation;
  /** The Ajv keyword that failed. */
  keyword: string;
  /** Every key or type the merged errors name (unknown keys, missing keys, expected types). */
  names: string[];
  /** Params of the first error. */
  params: Readonly<Record<string, unknown>>;
  /** The value the first error is about. */
  value: unknown;
  /** The first error's document path has exactly one segment (a top-level key). */
  topLevel: boolean;
  /** The failing keyword's schema (for `not`, the schema the value must not match). */
  schema?: unknown;
}

const NESTED_STRINGS = "should be a string or a nested array of strings up to 10 levels deep";
const JOB_WHEN = "on_success, on_failure, always, manual, delayed";
const SCRIPT_KEYS = new Set(["script", "before_script", "after_script"]);
/** Keywords that only say the value has the wrong type or is empty. */
const SHAPE = new Set(["type", "minLength", "minItems", "oneOf", "anyOf"]);

export function messageFor(finding: Finding): string {
  const special = specialMessage(finding);
  if (special !== undefined) return special;
  const text = overrideText(finding) ?? genericText(finding);
  if (finding.keyword === "pattern") {
    return `${subject(finding.location).toLowerCase()} ${text}`;
  }
  return `${subject(finding.location)} ${text}`.toLowerCase();
}

/**
 * `Jobs#each_unmatched_job`: a job with none of `script`, `run`, `trigger`. The job's name is
 * humanized, then GitLab turns spaces back to underscores when only letters and spaces are left.
 */
export function unmatchedJobMessage(job: string): string {
  const message = `jobs ${humanize(job)} config should implement the script:, run:, or trigger: keyword`;
  return message.replace(/jobs ([a-z\s]+) config should implement/, (_, name: string) => {
    return `jobs ${name.replace(/ /g, "_")} config should implement`;
  });
}

/** Messages that do not follow the `<location> <subject> <text>` shape. */
function specialMessage(finding: Finding): string | undefined {
  const { entry, attribute } = finding.location;
  if (entry[0] === "root" && finding.keyword === "type") return "Invalid configuration format";
  if (finding.topLevel && entry[0] === "jobs" && finding.keyword === "type") {
    return unmatchedJobMessage(entry[1] ?? "");
  }
  const inJob = entry.length === 3 && entry[0] === "jobs";
  if (
    inJob &&
    entry[2] === "script" &&
    (finding.keyword === "minLength" || finding.keyword === "minItems")
  ) {
    return `${entry.slice(0, 2).join(":")} script can't be blank`.toLowerCase();
  }
  if (entry.length === 2 && entry[0] === "jobs" && finding.keyword === "required" && !attribute) {
    // Job: `validates :start_in, duration: ...` when `when: delayed` has no start_in.
    if (finding.names.includes("start_in")) {
      return `${entry.join(":")} start in should be a duration`.toLowerCase();
    }
  }
  if (entry[entry.length - 2] === "variables" && !attribute && finding.keyword === "type") {
    return "variable definition must be either a string or a hash";
  }
  return undefined;
}

function overrideText(finding: Finding): string | undefined {
  const { entry, attribute } = finding.location;
  const last = entry[entry.length - 1] ?? "";
  const inJob = entry.length === 2 && entry[0] === "jobs";
  const shape = SHAPE.has(finding.keyword);

  if (attribute === "when" && (finding.keyword === "enum" || finding.keyword === "type")) {
    if (inJob) return `should be one of: ${JOB_WHEN}`;
    if (last === "rule") return `unknown value: ${String(finding.value)}`;
  }
  if (inJob && attribute === "dependencies" && shape) return "should be an array of strings";
  if (inJob && attribute === "extends" && shape) return "should be an array of strings or a string";
  if (attribute) return undefined;

  if (SCRIPT_KEYS.has(last) && shape && isScriptOwner(entry.slice(0, -1))) return NESTED_STRINGS;
  if (last === "stages" && entry.length === 1 && shape) {
    return "should be an array of strings or a nested array of strings up to 10 levels deep";
  }
  if (last === "variables" && finding.keyword === "type" && !finding.location.insideItems) {
    return "should be a hash of key value pairs";
  }
  if (entry[entry.length - 2] === "variables" && finding.keyword === "additionalProperties") {
    return `uses invalid data keys: ${finding.names.join(", ")}`;
  }
  if (last === "tags" && shape) return "should be an array of strings";
  if ((last === "image" || last === "service") && finding.keyword === "type") {
    return "should be a hash or a string";
  }
  if (last === "key" && entry[entry.length - 2] === "cache" && finding.keyword === "pattern") {
    return String(finding.value).includes("/")
      ? 'cannot contain the "/" character'
      : 'cannot be "." or ".."';
  }
  return undefined;
}

/** Top level, `default`, or a job: where a script keyword is GitLab's `Commands` entry. */
function isScriptOwner(entry: readonly string[]): boolean {
  return (
    entry.length === 0 ||
    (entry.length === 1 && entry[0] === "default") ||
    (entry.length === 2 && entry[0] === "jobs")
  );
}

function genericText(finding: Finding): string {
  const { params, names } = finding;
  const limit = Number(params.limit);
  switch (finding.keyword) {
    case "additionalProperties":
      return `contains unknown keys: ${names.join(", ")}`;
    case "required":
    case "dependencies":
      return `missing required keys: ${names.join(", ")}`;
    case "type":
      return typeText(names, finding.location.insideItems);
    case "enum":
    case "const":
      return finding.location.insideItems
        ? `contains unknown values: ${String(finding.value)}`
        : `should be one of: ${names.join(", ")}`;
    case "minLength":
      return limit <= 1 ? "can't be blank" : `is too short (minimum is ${limit} characters)`;
    case "maxLength":
      return `is too long (maximum is ${limit} characters)`;
    case "minItems":
      return limit <= 1 ? "can't be blank" : `should contain at least ${limit} items`;
    case "maxItems":
      return `should contain at most ${limit} items`;
    case "minProperties":
      return `should contain at least ${limit} keys`;
    case "maxProperties":
      return `should contain at most ${limit} keys`;
    case "uniqueItems":
      return "should not contain duplicate items";
    case "pattern":
      return `is invalid (should match /${String(params.pattern)}/)`;
    case "format":
      return `should be a valid ${String(params.format).replace(/-/g, " ")}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return numericText(String(params.comparison), limit);
    case "multipleOf":
      return `must be a multiple of ${String(params.multipleOf)}`;
    case "propertyNames":
      return "contains invalid keys";
    case "not": {
      const keys = disallowedKeys(finding.schema, finding.value);
      return keys.length > 0 ? `contains disallowed keys: ${keys.join(", ")}` : "is invalid";
    }
    default:
      return "is invalid";
  }
}

/** Keys of `value` that a `not: {required: [...]}` (or an anyOf of such) forbids. */
function disallowedKeys(schema: unknown, value: unknown): string[] {
  if (!isPlainObject(schema) || !isPlainObject(value)) return [];
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : [schema];
  const keys = alternatives.flatMap((alternative) =>
    isPlainObject(alternative) && Array.isArray(alternative.required)
      ? alternative.required.map(String)
      : [],
  );
  return [...new Set(keys)].filter((key) => Object.hasOwn(value, key));
}

function numericText(comparison: string, limit: number): string {
  const words: Record<string, string> = {
    ">=": "greater than or equal to",
    "<=": "less than or equal to",
    ">": "greater than",
    "<": "less than",
  };
  return `must be ${words[comparison] ?? comparison} ${limit}`;
}

const ORDER = ["object", "array", "string", "boolean", "integer", "number", "null"];
const SINGULAR: Readonly<Record<string, string>> = {
  object: "a hash",
  array: "an array",
  string: "a string",
  boolean: "a boolean value",
  integer: "an integer",
  number: "a number",
  null: "null",
};
const PLURAL: Readonly<Record<string, string>> = {
  object: "hashes",
  array: "arrays",
  string: "strings",
  boolean: "boolean values",
  integer: "integers",
  number: "numbers",
  null: "nulls",
};

/** `should be a hash or a string`, or for the items of an array `should be an array of strings`. */
function typeText(types: readonly string[], insideItems: boolean): string {
  let kinds = ORDER.filter((kind) => types.includes(kind));
  if (kinds.includes("number")) kinds = kinds.filter((kind) => kind !== "integer");
  const words = kinds.map((kind) => (insideItems ? PLURAL : SINGULAR)[kind] ?? kind);
  return insideItems ? `should be an array of ${joinOr(words)}` : `should be ${joinOr(words)}`;
}

function joinOr(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? "valid";
  return `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}
