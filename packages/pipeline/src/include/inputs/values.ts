/**
 * Checks the values given for a file's inputs against its `spec:inputs` and works out the value
 * of every input, as GitLab does (Ci::Inputs::*Input, docs.gitlab.com/ci/inputs/):
 * - an input without `default` (and without a rule giving one) is required;
 * - string inputs take any scalar as its text; number, boolean and array inputs also accept
 *   the JSON text of such a value (`"5"`, `"true"`, `'["a"]'`), as GitLab parses them;
 * - `options`, `regex` (RE2, unanchored) and `rules` (conditional options and default).
 * Every message is GitLab's: "`name` input: required value has not been provided".
 */
import { RE2JS } from "re2js";
import { rubyToSSymbolKeys } from "../../ruby/inspect.js";
import { ConditionError, evaluateCondition } from "./condition.js";
import type { InputRule, InputSpec } from "./header.js";

export interface InputError {
  /** The input the message is about; absent for unknown arguments. */
  input?: string;
  message: string;
}

export interface InputValues {
  values: Record<string, unknown>;
  errors: InputError[];
}

function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function coerce(spec: InputSpec, value: unknown): unknown {
  if (spec.type === "string") return rubyToSSymbolKeys(value);
  if (typeof value !== "string") return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function requiredInput(spec: InputSpec): boolean {
  if (spec.hasDefault) return false;
  return !(spec.rules ?? []).some((rule) => rule.hasDefault || rule.if === undefined);
}

/** The first rule whose `if` holds (a rule without `if` always holds). */
function matchingRule(
  spec: InputSpec,
  context: Record<string, unknown>,
  fail: (message: string) => void,
): InputRule | undefined {
  for (const rule of spec.rules ?? []) {
    if (rule.if === undefined) return rule;
    try {
      if (evaluateCondition(rule.if, context)) return rule;
    } catch (error) {
      if (error instanceof ConditionError) fail(error.message);
      else throw error;
      return undefined;
    }
  }
  return undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function validate(
  spec: InputSpec,
  value: unknown,
  isDefault: boolean,
  options: unknown[] | undefined,
  fail: (message: string) => void,
): void {
  const which = isDefault ? "default" : "provided";
  switch (spec.type) {
    case "string": {
      const text = value as string;
      if (options && !options.map(rubyToSSymbolKeys).includes(text)) {
        fail(`\`${text}\` cannot be used because it is not in the list of allowed options`);
      }
      if (spec.hasRegex && spec.regex !== undefined) {
        let pattern: RE2JS;
        try {
          pattern = RE2JS.compile(spec.regex);
        } catch {
          fail("invalid regular expression");
          return;
        }
        if (!pattern.test(text)) fail(`${which} value does not match required RegEx pattern`);
      }
      return;
    }
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value))
        fail(`${which} value is not a number`);
      if (options && !isNil(value) && !options.includes(value)) {
        fail(
          `\`${rubyToSSymbolKeys(value)}\` cannot be used because it is not in the list of the allowed options`,
        );
      }
      break;
    case "boolean":
      if (typeof value !== "boolean") fail(`${which} value is not a boolean`);
      if (options) fail("Options can only be used with string and number inputs");
      break;
    case "array":
      if (!Array.isArray(value)) fail(`${which} value is not an array`);
      if (options && Array.isArray(value)) {
        const invalid = value.filter((item) => !options.some((option) => deepEqual(option, item)));
        if (invalid.length > 0) {
          fail(
            `${invalid.map(rubyToSSymbolKeys).join(", ")} cannot be used because it is not in the list of allowed options`,
          );
        }
      }
      break;
  }
  if (spec.hasRegex) fail("RegEx validation can only be used with string inputs");
}

/** Validates `given` against `specs`, in declaration order, and resolves every input's value. */
export function resolveInputValues(
  specs: readonly InputSpec[],
  given: Record<string, unknown>,
): InputValues {
  const errors: InputError[] = [];
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const fail = (message: string) => {
      errors.push({ input: spec.name, message: `\`${spec.name}\` input: ${message}` });
    };
    const context = { ...values, ...given };
    const param = Object.hasOwn(given, spec.name) ? given[spec.name] : undefined;
    const rule = spec.rules ? matchingRule(spec, context, fail) : undefined;
    const options = spec.rules ? (rule?.options ?? spec.options) : spec.options;
    const fallback = spec.rules && rule?.hasDefault ? rule.default : spec.default;
    if (requiredInput(spec) && isNil(param)) {
      fail("required value has not been provided");
      values[spec.name] = coerce(spec, null);
      continue;
    }
    // A rule's `default: null` lets users enter their own value; anything else is checked.
    if (!requiredInput(spec) && !(spec.rules && isNil(fallback))) {
      validate(spec, coerce(spec, fallback), true, options, fail);
    }
    if (!isNil(param)) validate(spec, coerce(spec, param), false, options, fail);
    values[spec.name] = coerce(spec, isNil(param) ? fallback : param);
  }
  const declared = new Set(specs.map((spec) => spec.name));
  const unknown = Object.keys(given).filter((name) => !declared.has(name));
  if (unknown.length > 0)
    errors.unshift({ message: `unknown input arguments: ${unknown.join(", ")}` });
  return { values, errors };
}
