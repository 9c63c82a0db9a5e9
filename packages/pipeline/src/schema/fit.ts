/**
 * How well one alternative of a `oneOf`/`anyOf` fits a value, judged on the value itself only:
 * its type, required and unknown keys, and enum/const. Nested values are Ajv's business; this
 * only ranks alternatives so that the closest one's errors are the ones reported.
 */
import { isPlainObject } from "./pointer.js";

export interface Violation {
  keyword: "type" | "required" | "additionalProperties" | "enum";
  params: Readonly<Record<string, unknown>>;
}

/** The value is not even of the alternative's type: worse than any number of key problems. */
const MISMATCH = 1000;

export function cost(violations: readonly Violation[]): number {
  let total = 0;
  for (const v of violations) {
    if (v.keyword === "type") total += MISMATCH;
    else if (v.keyword === "additionalProperties") total += 1.5;
    else total += 1;
  }
  return total;
}

/** What `value` breaks of `schema` at its own level; `root` resolves `$ref`s. */
export function misfit(schema: unknown, value: unknown, root: unknown, depth = 0): Violation[] {
  const node = resolve(schema, root);
  if (!isPlainObject(node) || depth > 16) return [];
  const type = typeViolation(node.type, value);
  if (type) return [type];
  const out: Violation[] = [];
  const allowed = Array.isArray(node.enum) ? node.enum : "const" in node ? [node.const] : undefined;
  if (allowed && !allowed.some((option) => sameScalar(option, value))) {
    out.push({ keyword: "enum", params: { allowedValues: allowed } });
  }
  if (isPlainObject(value)) out.push(...keyViolations(node, value));
  if (Array.isArray(node.allOf)) {
    for (const part of node.allOf) out.push(...misfit(part, value, root, depth + 1));
  }
  for (const keyword of ["oneOf", "anyOf"] as const) {
    const branches = node[keyword];
    if (!Array.isArray(branches) || branches.length === 0) continue;
    const fits = branches.map((branch) => misfit(branch, value, root, depth + 1));
    const best = Math.min(...fits.map(cost));
    out.push(...combine(fits.filter((fit) => cost(fit) === best)));
  }
  return out;
}

function resolve(schema: unknown, root: unknown): unknown {
  let node = schema;
  for (let hops = 0; hops < 16 && isPlainObject(node) && typeof node.$ref === "string"; hops++) {
    node = pointerTarget(root, node.$ref);
  }
  return node;
}

function pointerTarget(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node = root;
  for (const part of ref.slice(1).split("/").slice(1)) {
    const key = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
    node = isPlainObject(node) ? node[key] : undefined;
  }
  return node;
}

function typeViolation(expected: unknown, value: unknown): Violation | undefined {
  if (expected === undefined) return undefined;
  const types = (Array.isArray(expected) ? expected : [expected]).map(String);
  if (types.some((type) => hasType(value, type))) return undefined;
  return { keyword: "type", params: { type: types.length === 1 ? types[0] : types } };
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isPlainObject(value);
    case "array":
      return Array.isArray(value);
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

function sameScalar(option: unknown, value: unknown): boolean {
  return option === value || (Number.isNaN(option) && Number.isNaN(value));
}

function keyViolations(node: Record<string, unknown>, value: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  if (Array.isArray(node.required)) {
    for (const key of node.required.map(String)) {
      if (!Object.hasOwn(value, key))
        out.push({ keyword: "required", params: { missingProperty: key } });
    }
  }
  if (node.additionalProperties !== false) return out;
  const known = isPlainObject(node.properties) ? node.properties : {};
  const patterns = isPlainObject(node.patternProperties)
    ? Object.keys(node.patternProperties).map(patternOf)
    : [];
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(known, key) || patterns.some((pattern) => pattern.test(key))) continue;
    out.push({ keyword: "additionalProperties", params: { additionalProperty: key } });
  }
  return out;
}

const patternCache = new Map<string, RegExp>();

function patternOf(source: string): RegExp {
  let pattern = patternCache.get(source);
  if (!pattern) {
    pattern = new RegExp(source, "u");
    patternCache.set(source, pattern);
  }
  return pattern;
}

/** One statement for equally good alternatives: a merged type or enum, or what they share. */
export function combine(fits: readonly Violation[][]): Violation[] {
  const [first = []] = fits;
  if (fits.length < 2) return first;
  const all = fits.flat();
  if (all.length > 0 && all.every((v) => v.keyword === "type")) {
    return [{ keyword: "type", params: { type: unique(all.flatMap((v) => v.params.type)) } }];
  }
  if (all.length > 0 && all.every((v) => v.keyword === "enum")) {
    return [
      {
        keyword: "enum",
        params: { allowedValues: unique(all.flatMap((v) => v.params.allowedValues)) },
      },
    ];
  }
  const key = (v: Violation) => `${v.keyword}\u0000${JSON.stringify(v.params)}`;
  const sets = fits.map((fit) => new Set(fit.map(key)));
  const shared = first.filter((v) => sets.every((set) => set.has(key(v))));
  return shared.length > 0 ? shared : first;
}

function unique(values: readonly unknown[]): unknown[] {
  return [...new Set(values)];
}
