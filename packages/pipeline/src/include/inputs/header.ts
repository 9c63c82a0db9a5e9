/**
 * The header document of a CI/CD configuration file: `spec:inputs`, `spec:include`,
 * `spec:component`, `spec:description` (docs.gitlab.com/ci/yaml/#header-keywords,
 * docs.gitlab.com/ci/inputs/). Validation wording follows GitLab's config entries
 * (`header:spec:inputs:<name> config contains unknown keys: ...`).
 */
import { isMap } from "../../compose/deep-merge.js";
import { referencedInputs } from "./condition.js";

export type InputType = "string" | "number" | "boolean" | "array";
export const INPUT_TYPES: readonly InputType[] = ["array", "boolean", "number", "string"];

export interface InputRule {
  if?: string;
  options?: unknown[];
  hasDefault: boolean;
  default?: unknown;
}

export interface InputSpec {
  name: string;
  type: InputType;
  hasDefault: boolean;
  default?: unknown;
  options?: unknown[];
  regex?: string;
  hasRegex: boolean;
  description?: string;
  rules?: InputRule[];
}

export interface HeaderSpec {
  inputs: InputSpec[];
  /** `spec:component`: which of `name`, `sha`, `version`, `reference` templates may use. */
  component: string[];
  /** `spec:include` entries, as written. */
  include: unknown[];
}

export interface HeaderIssue {
  message: string;
  /** Path inside the header document, for the position. */
  path: Array<string | number>;
}

export interface ParsedHeader {
  spec: HeaderSpec;
  errors: HeaderIssue[];
}

const SPEC_KEYS = ["inputs", "include", "component", "description"];
const INPUT_KEYS = ["default", "description", "options", "regex", "type", "rules"];
const RULE_KEYS = ["if", "options", "default"];
const COMPONENT_VALUES = ["name", "sha", "version", "reference"];
const MAX_OPTIONS = 50;

function unknownKeys(map: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(map).filter((key) => !allowed.includes(key));
}

/** Parses `spec:inputs` (a mapping of input names to definitions) into input specs. */
export function parseInputDefinitions(
  inputs: unknown,
  errors: HeaderIssue[],
  at: Array<string | number>,
): InputSpec[] {
  const where = `header:${at.join(":")}`;
  if (inputs === undefined || inputs === null) return [];
  if (!isMap(inputs)) {
    errors.push({ message: `${where} config should be a hash`, path: at });
    return [];
  }
  const specs: InputSpec[] = [];
  for (const [name, definition] of Object.entries(inputs)) {
    const spec = parseInput(name, definition, errors, [...at, name]);
    if (spec) specs.push(spec);
  }
  validateRuleReferences(specs, errors, at);
  return specs;
}

function parseInput(
  name: string,
  definition: unknown,
  errors: HeaderIssue[],
  path: Array<string | number>,
): InputSpec | undefined {
  const where = `header:${path.join(":")}`;
  const fail = (message: string, sub: Array<string | number> = []) => {
    errors.push({ message: `${where} ${message}`, path: [...path, ...sub] });
  };
  if (definition === null || definition === undefined) {
    return { name, type: "string", hasDefault: false, hasRegex: false };
  }
  if (!isMap(definition)) {
    fail("config should be a hash");
    return undefined;
  }
  const extra = unknownKeys(definition, INPUT_KEYS);
  if (extra.length > 0) fail(`config contains unknown keys: ${extra.join(", ")}`);
  const type = definition.type ?? "string";
  if (!INPUT_TYPES.includes(type as InputType)) {
    fail(`input type unknown value: ${String(type)}`, ["type"]);
    return undefined;
  }
  const spec: InputSpec = {
    name,
    type: type as InputType,
    hasDefault: Object.hasOwn(definition, "default"),
    default: definition.default,
    hasRegex: Object.hasOwn(definition, "regex"),
  };
  if (definition.description !== undefined) spec.description = String(definition.description);
  if (spec.hasRegex) {
    if (typeof definition.regex === "string") spec.regex = definition.regex;
    else fail("input regex should be a string", ["regex"]);
  }
  if (definition.options !== undefined) {
    const options = definition.options;
    if (!Array.isArray(options)) {
      fail("input options should be an array", ["options"]);
    } else {
      if (options.length > MAX_OPTIONS)
        fail(`config cannot define more than ${MAX_OPTIONS} options`);
      if (options.some((option) => option === null))
        fail("config options array cannot contain null values");
      spec.options = options;
    }
  }
  if (Object.hasOwn(definition, "rules")) {
    if (Object.hasOwn(definition, "options"))
      fail("config these keys cannot be used together: rules, options");
    if (spec.hasDefault) fail("config these keys cannot be used together: rules, default");
    spec.rules = parseRules(definition.rules, errors, [...path, "rules"]);
  }
  return spec;
}

function parseRules(
  rules: unknown,
  errors: HeaderIssue[],
  path: Array<string | number>,
): InputRule[] {
  const where = `header:${path.join(":")}`;
  if (!Array.isArray(rules)) {
    errors.push({ message: `${where} config should be an array of hashes`, path });
    return [];
  }
  const parsed: InputRule[] = [];
  rules.forEach((rule, index) => {
    const fail = (message: string) =>
      errors.push({ message: `${where}:rule config ${message}`, path: [...path, index] });
    if (!isMap(rule)) {
      fail("should be a hash");
      return;
    }
    const extra = unknownKeys(rule, RULE_KEYS);
    if (extra.length > 0) fail(`contains unknown keys: ${extra.join(", ")}`);
    const entry: InputRule = { hasDefault: Object.hasOwn(rule, "default"), default: rule.default };
    if (rule.if !== undefined) {
      if (typeof rule.if === "string") entry.if = rule.if;
      else fail("if should be a string");
    }
    if (rule.options !== undefined) {
      if (Array.isArray(rule.options)) entry.options = rule.options;
      else fail("options should be an array");
    }
    if (entry.options && entry.options.length > MAX_OPTIONS) {
      fail(`cannot define more than ${MAX_OPTIONS} options`);
    }
    if (entry.if !== undefined && !entry.options && !entry.hasDefault) {
      fail("rule with 'if' must define 'options' or 'default'");
    }
    if (entry.if === undefined && !entry.options) fail("fallback rule must define 'options'");
    parsed.push(entry);
  });
  return parsed;
}

/** Rules may only name declared inputs, and may not depend on each other in a circle. */
function validateRuleReferences(
  specs: InputSpec[],
  errors: HeaderIssue[],
  at: Array<string | number>,
) {
  const names = new Set(specs.map((spec) => spec.name));
  const graph = new Map<string, string[]>();
  for (const spec of specs) {
    const deps: string[] = [];
    spec.rules?.forEach((rule, index) => {
      if (rule.if === undefined) return;
      const used = referencedInputs(rule.if);
      deps.push(...used);
      const missing = used.filter((name) => !names.has(name));
      if (missing.length > 0) {
        errors.push({
          message: `header:${[...at, spec.name].join(":")} config rule[${index}] references undefined inputs: ${missing.join(", ")}`,
          path: [...at, spec.name, "rules", index],
        });
      }
    });
    graph.set(spec.name, deps);
  }
  const first = specs[0];
  if (first && hasCycle(graph)) {
    errors.push({
      message: `header:${[...at, first.name].join(":")} config circular dependency detected`,
      path: [...at, first.name],
    });
  }
}

function hasCycle(graph: Map<string, string[]>): boolean {
  const state = new Map<string, "visiting" | "done">();
  const visit = (node: string): boolean => {
    const seen = state.get(node);
    if (seen === "visiting") return true;
    if (seen === "done") return false;
    state.set(node, "visiting");
    for (const next of graph.get(node) ?? []) if (graph.has(next) && visit(next)) return true;
    state.set(node, "done");
    return false;
  };
  return [...graph.keys()].some((node) => visit(node));
}

/** Parses and validates a header document (`undefined`: the file has no header). */
export function parseHeader(header: unknown): ParsedHeader {
  const errors: HeaderIssue[] = [];
  const spec: HeaderSpec = { inputs: [], component: [], include: [] };
  if (header === undefined || header === null) return { spec, errors };
  if (!isMap(header)) {
    errors.push({ message: "header config should be a hash", path: [] });
    return { spec, errors };
  }
  const extra = unknownKeys(header, ["spec"]);
  if (extra.length > 0)
    errors.push({ message: `header config contains unknown keys: ${extra.join(", ")}`, path: [] });
  const body = header.spec;
  if (body === undefined || body === null) return { spec, errors };
  if (!isMap(body)) {
    errors.push({ message: "header:spec config should be a hash", path: ["spec"] });
    return { spec, errors };
  }
  const unknownSpec = unknownKeys(body, SPEC_KEYS);
  if (unknownSpec.length > 0) {
    errors.push({
      message: `header:spec config contains unknown keys: ${unknownSpec.join(", ")}`,
      path: ["spec"],
    });
  }
  spec.inputs = parseInputDefinitions(body.inputs, errors, ["spec", "inputs"]);
  if (body.component !== undefined) {
    const component = body.component;
    if (!Array.isArray(component) || component.some((item) => typeof item !== "string")) {
      errors.push({
        message: "header:spec:component config should be an array of strings",
        path: ["spec", "component"],
      });
    } else {
      const bad = component.filter((item) => !COMPONENT_VALUES.includes(item));
      if (bad.length > 0) {
        errors.push({
          message: `header:spec:component config contains unknown values: ${bad.join(", ")}`,
          path: ["spec", "component"],
        });
      }
      spec.component = [...new Set(component.filter((item) => COMPONENT_VALUES.includes(item)))];
    }
  }
  if (body.include !== undefined) {
    spec.include = Array.isArray(body.include) ? body.include : [body.include];
  }
  return { spec, errors };
}
