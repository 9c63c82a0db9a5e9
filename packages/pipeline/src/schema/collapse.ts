/**
 * Reduces Ajv's raw errors to the ones that explain a mistake.
 *
 * With `oneOf`/`anyOf`, Ajv lists the failures of every alternative and then a summary error
 * (which, generated with `verbose`, carries the alternatives). For each summary we rank the
 * alternatives by how well the value fits them (fit.ts, plus what Ajv found below the value),
 * drop the other alternatives' errors, and state the best one's own problems with the value
 * (wrong type, missing or unknown keys, not an allowed value). Then summaries that other
 * errors explain go, "wrong type" errors on values some alternative took the type of go, and
 * duplicates go.
 *
 * Ajv reports an alternative's errors before the summary, with schema paths that extend the
 * summary's (`#/oneOf` -> `#/oneOf/1/required`), except errors reached through a `$ref`, which
 * carry the referenced schema's own path; those are attributed when the alternative is that
 * `$ref`, and otherwise left to the later rules.
 */
import { type RawSchemaError, rootSchema } from "../../schema/ci-explainer.js";
import { combine, cost, misfit } from "./fit.js";
import { decodePointer, isAtOrBelow, isPlainObject, valueAt } from "./pointer.js";

const BRANCHING = new Set(["oneOf", "anyOf"]);
/** Errors that only summarise other errors (or say "not this"), worth showing only alone. */
const SUMMARIES = new Set(["oneOf", "anyOf", "if", "not"]);
const BRANCHING_OR_IF = new Set(["oneOf", "anyOf", "if"]);
/** Errors about the value itself that a chosen alternative's own verdict replaces. */
const STRUCTURAL = new Set(["type", "required", "additionalProperties", "enum", "const"]);

interface Slot {
  error: RawSchemaError;
  alive: boolean;
}

/** The errors worth describing, from Ajv's errors for `document`. */
export function collapseErrors(
  errors: readonly RawSchemaError[],
  document: unknown,
): RawSchemaError[] {
  const slots: Slot[] = errors.map((error) => ({ error, alive: true }));
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as Slot;
    if (!BRANCHING.has(slot.error.keyword) || !Array.isArray(slot.error.schema)) continue;
    const verdict = chooseAlternatives(slots, i, slot.error, document);
    slots.splice(i, 0, ...verdict.map((error) => ({ error, alive: true })));
    i += verdict.length;
  }
  dropSummaries(slots);
  dropShapeMismatches(slots, document);
  const seen = new Set<string>();
  return slots
    .filter((slot) => {
      const key = signature(slot.error);
      if (!slot.alive || seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((slot) => slot.error);
}

function signature(error: Pick<RawSchemaError, "instancePath" | "keyword" | "params">): string {
  return `${error.instancePath}\u0000${error.keyword}\u0000${JSON.stringify(error.params)}`;
}

/**
 * Picks the alternatives of the summary at `index` that fit best, kills the others' errors and
 * returns the best ones' own problems with the value, as errors to put before the summary.
 */
function chooseAlternatives(
  slots: Slot[],
  index: number,
  composite: RawSchemaError,
  document: unknown,
): RawSchemaError[] {
  const branches = composite.schema as unknown[];
  const path = composite.instancePath;
  const value = valueAt(document, decodePointer(path));
  const refs = branches.map((branch) =>
    isPlainObject(branch) && typeof branch.$ref === "string" ? `${branch.$ref}/` : undefined,
  );
  const members = slots.slice(0, index).map((slot) => {
    if (!slot.alive || !isAtOrBelow(slot.error.instancePath, path)) return undefined;
    return branchOf(slot.error, composite.schemaPath, path, refs);
  });
  const fits = branches.map((branch) => misfit(branch, value, rootSchema));
  const costs = fits.map((fit, branch) => cost(fit) + belowPenalty(slots, members, branch, path));
  const best = Math.min(...costs);
  const winners = costs.flatMap((c, branch) => (c === best ? [branch] : []));
  members.forEach((branch, i) => {
    if (branch === undefined) return;
    const slot = slots[i] as Slot;
    const atValue = slot.error.instancePath === path && STRUCTURAL.has(slot.error.keyword);
    if (atValue || !winners.includes(branch)) slot.alive = false;
  });
  const winner = winners[0] ?? 0;
  return combine(winners.map((branch) => fits[branch] ?? [])).map((violation) => ({
    instancePath: path,
    schemaPath: `${composite.schemaPath}/${winner}/${violation.keyword}`,
    keyword: violation.keyword,
    params: violation.params,
  }));
}

/**
 * The alternative an earlier error belongs to, when its schema path tells. An alternative that
 * is a `$ref` claims errors of the referenced schema only on the value itself: below it, other
 * alternatives may reach the same definition (`retry` and `retry:max` both use `retry_max`).
 */
function branchOf(
  error: RawSchemaError,
  schemaPath: string,
  path: string,
  refs: readonly (string | undefined)[],
): number | undefined {
  const prefix = `${schemaPath}/`;
  if (error.schemaPath.startsWith(prefix)) {
    return Number(error.schemaPath.slice(prefix.length).split("/")[0]);
  }
  if (error.instancePath !== path) return undefined;
  const viaRef = refs.findIndex((ref) => ref !== undefined && error.schemaPath.startsWith(ref));
  return viaRef >= 0 ? viaRef : undefined;
}

/** What Ajv found below the value in one alternative: it got further, but not through. */
function belowPenalty(
  slots: readonly Slot[],
  members: readonly (number | undefined)[],
  branch: number,
  path: string,
): number {
  let total = 0;
  members.forEach((member, i) => {
    const error = (slots[i] as Slot).error;
    if (member !== branch) return;
    if (error.keyword === "not") total += 2;
    else if (error.instancePath !== path || !STRUCTURAL.has(error.keyword)) total += 1;
  });
  return Math.min(total, 2);
}

/** Summaries go when another error says more; a "must not" says more than an if/oneOf. */
function dropSummaries(slots: Slot[]): void {
  for (const slot of slots) {
    if (!slot.alive || !SUMMARIES.has(slot.error.keyword)) continue;
    const weaker = slot.error.keyword === "not" ? SUMMARIES : BRANCHING_OR_IF;
    const explained = slots.some(
      (other) =>
        other !== slot &&
        other.alive &&
        !weaker.has(other.error.keyword) &&
        isAtOrBelow(other.error.instancePath, slot.error.instancePath),
    );
    if (explained) slot.alive = false;
  }
}

/** "Should be a string" on a value whose type some alternative accepted is noise. */
function dropShapeMismatches(slots: Slot[], document: unknown): void {
  for (const slot of slots) {
    const path = slot.error.instancePath;
    if (!slot.alive || !isShapeMismatch(slot.error, path, document)) continue;
    const better = slots.some(
      (other) =>
        other.alive &&
        !SUMMARIES.has(other.error.keyword) &&
        isAtOrBelow(other.error.instancePath, path) &&
        !isShapeMismatch(other.error, path, document),
    );
    if (better) slot.alive = false;
  }
}

/** The value at `path` is not even of the kind this error's schema describes. */
function isShapeMismatch(error: RawSchemaError, path: string, document: unknown): boolean {
  if (error.instancePath !== path) return false;
  if (error.keyword === "type") return true;
  if (error.keyword !== "enum" && error.keyword !== "const") return false;
  const value = valueAt(document, decodePointer(path));
  return isPlainObject(value) || Array.isArray(value);
}
