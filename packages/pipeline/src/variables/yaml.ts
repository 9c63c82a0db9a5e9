/**
 * A `variables:` block of `.gitlab-ci.yml` (top level, job, or `rules`/`workflow:rules`), read
 * and checked as GitLab's `Entry::Variables` / `Entry::Variable` do.
 *
 * Forms (https://docs.gitlab.com/ci/yaml/#variables):
 * - `NAME: value`, where the value is any scalar: a string, integer, float or boolean, turned
 *   into text with Ruby's `to_s` (`true` → `"true"`, `1.0` → `"1.0"`, `012345` → `"5349"` as
 *   YAML 1.1 reads it);
 * - `NAME: { value, description, options, expand }`: `description` and `options` (prefilled
 *   values for manual pipelines) only at the top level; `expand: false` (top level and jobs)
 *   makes the value raw. `rules:variables` take plain values only.
 *
 * GitLab does not check that a key is a valid variable name: any scalar key is accepted.
 * Messages are GitLab's, which lowercases the whole message (key names included).
 */
import { floatToS, numberToS } from "../ruby/inspect.js";
import type { Variable, VariableSource } from "./types.js";

/** Where the block is: decides which hash keys are allowed and the source of the variables. */
export type YamlVariablesScope = "global" | "job" | "rules";

/** A variable from YAML, with the prefill data of the top-level hash form. */
export interface YamlDefinedVariable extends Variable {
  /** `description:`, shown in the Run pipeline form (top level only). */
  description?: string;
  /** `options:`, the choices offered in the Run pipeline form (top level only). */
  options?: string[];
}

export interface VariableProblem {
  /** GitLab's wording, e.g. `jobs:build:variables:var config uses invalid data keys: description`. */
  message: string;
  /** Keyword path of the offending entry, in the file's own spelling: `jobs:build:variables:VAR`. */
  path: string;
}

export interface ParsedYamlVariables {
  variables: YamlDefinedVariable[];
  problems: VariableProblem[];
}

export interface ParseYamlVariablesOptions extends ScalarFormat {
  /** Default: `global` when `path` is `variables`, `rules` when it contains `rules`, else `job`. */
  scope?: YamlVariablesScope;
  /** Overrides the source given to the variables (e.g. `workflow-rules`, `matrix`). */
  source?: VariableSource;
}

/** Hash keys GitLab allows per scope (`allowed_value_data`). */
const ALLOWED_KEYS: Record<YamlVariablesScope, readonly string[]> = {
  global: ["value", "description", "expand", "options"],
  job: ["value", "expand"],
  rules: [],
};

const SOURCE_OF: Record<YamlVariablesScope, VariableSource> = {
  global: "yaml-global",
  job: "yaml-job",
  rules: "rules",
};

/** GitLab's error message for a value that is neither a scalar nor a hash (no location). */
export const UNKNOWN_VARIABLE_FORM = "variable definition must be either a string or a hash";

/** Options for `yamlScalarToString`. */
export interface ScalarFormat {
  /**
   * Set when the YAML loader parses integers as `bigint` (the `yaml` package's `intAsBigInt`):
   * every `number` is then a YAML float and is formatted like Ruby's `Float#to_s` (`1.0` stays
   * `"1.0"`). Without it an integral `number` is formatted as an integer (`1.0` becomes `"1"`).
   */
  floatNumbers?: boolean;
}

/**
 * A YAML scalar as GitLab turns it into a variable value (`value.to_s` on what Psych loaded):
 * strings as they are, booleans as `true`/`false`, integers in decimal, floats as Ruby prints
 * them, null as the empty string. Returns `undefined` for anything that is not a scalar.
 */
export function yamlScalarToString(value: unknown, format: ScalarFormat = {}): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      return format.floatNumbers ? floatToS(value) : numberToS(value);
    default:
      return value === null ? "" : undefined;
  }
}

/** True for the values GitLab's `ScalarValidator` accepts (string, integer, float, boolean). */
function isYamlScalar(value: unknown): value is string | number | bigint | boolean {
  const type = typeof value;
  return type === "string" || type === "number" || type === "bigint" || type === "boolean";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function guessScope(path: string): YamlVariablesScope {
  if (path === "variables") return "global";
  return /(^|:)rules(:|$)/.test(path) ? "rules" : "job";
}

/**
 * Reads a `variables:` block at `path` (`variables`, `jobs:build:variables`,
 * `jobs:build:rules:0:variables`, …). Returns the variables it could read, in the block's
 * order, and GitLab's problems for the rest. `null`/absent is an empty block.
 */
export function parseYamlVariables(
  value: unknown,
  path: string,
  options: ParseYamlVariablesOptions = {},
): ParsedYamlVariables {
  const scope = options.scope ?? guessScope(path);
  const source = options.source ?? SOURCE_OF[scope];
  const variables: YamlDefinedVariable[] = [];
  const problems: VariableProblem[] = [];
  if (value === undefined || value === null) return { variables, problems };
  if (!isPlainObject(value)) {
    problems.push({ message: `${path} config should be a hash`.toLowerCase(), path });
    return { variables, problems };
  }

  for (const key of Object.keys(value)) {
    const spec = value[key];
    if (isYamlScalar(spec)) {
      variables.push({ key, value: yamlScalarToString(spec, options)!, source });
      continue;
    }
    const at = `${path}:${key}`;
    const report = (text: string) =>
      problems.push({ message: `${at} ${text}`.toLowerCase(), path: at });
    // GitLab composes a missing value as an empty hash: `NAME:` alone is `{}`.
    const hash = spec === null ? {} : spec;
    if (!isPlainObject(hash)) {
      problems.push({ message: UNKNOWN_VARIABLE_FORM, path: at });
      continue;
    }
    const before = problems.length;
    const variable = readHash(key, hash, scope, source, options, report);
    if (variable && problems.length === before) variables.push(variable);
  }
  return { variables, problems };
}

/** The hash form, with GitLab's checks in GitLab's order (`ComplexVariable` validations). */
function readHash(
  key: string,
  hash: Record<string, unknown>,
  scope: YamlVariablesScope,
  source: VariableSource,
  format: ScalarFormat,
  report: (text: string) => void,
): YamlDefinedVariable | undefined {
  const { value, description, expand, options } = hash;
  if (value !== undefined && value !== null && !isYamlScalar(value)) {
    report("config value must be a scalar");
  }
  const alphanumeric =
    typeof description === "string" ||
    typeof description === "bigint" ||
    (typeof description === "number" && Number.isInteger(description));
  if (description !== undefined && description !== null && !alphanumeric) {
    report("config description must be an alphanumeric string");
  }
  if (expand !== undefined && expand !== null && typeof expand !== "boolean") {
    report("config expand should be a boolean value");
  }
  const optionList = Array.isArray(options) && options.every((o) => typeof o === "string");
  if (options !== undefined && options !== null && !optionList) {
    report("config options should be an array of strings");
  }
  const allowed = ALLOWED_KEYS[scope];
  if (allowed.length === 0) {
    report("config must be a string");
  } else {
    const extra = Object.keys(hash).filter((name) => !allowed.includes(name));
    if (extra.length > 0) report(`config uses invalid data keys: ${extra.join(", ")}`);
  }
  if (Array.isArray(options) && options.length > 0 && !options.includes(value)) {
    report("config value must be present in options");
  }

  const text = value === undefined || value === null ? "" : yamlScalarToString(value, format);
  if (text === undefined) return undefined;
  const variable: YamlDefinedVariable = { key, value: text, source };
  if (expand === false) variable.raw = true;
  if (scope === "global") {
    if (typeof description === "string") variable.description = description;
    else if (description !== undefined && description !== null && alphanumeric) {
      variable.description = String(description);
    }
    if (optionList && (options as string[]).length > 0)
      variable.options = [...(options as string[])];
  }
  return variable;
}
