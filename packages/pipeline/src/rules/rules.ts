/**
 * `rules`: the first rule whose clauses all hold decides; a rule with no clause always holds;
 * no matching rule means `when: never`. Docs: https://docs.gitlab.com/ci/jobs/job_rules/
 */
import { isMap } from "../compose/deep-merge.js";
import { evaluateExpression } from "../expression/index.js";
import type { RuleContext } from "./context.js";
import { matchesAnyGlob } from "./glob.js";

export type RuleMap = Record<string, unknown>;

/** GitLab's `rules` accept nested arrays (from `!reference`), flattened up to 10 levels. */
export function flattenRules(rules: unknown): RuleMap[] {
  const out: RuleMap[] = [];
  const visit = (value: unknown, depth: number) => {
    if (Array.isArray(value) && depth <= 10) for (const item of value) visit(item, depth + 1);
    else if (isMap(value)) out.push(value);
  };
  visit(rules, 0);
  return out;
}

/** The first matching rule, or undefined when none matches. Throws ExpressionSyntaxError. */
export function matchRule(rules: readonly RuleMap[], context: RuleContext): RuleMap | undefined {
  return rules.find((rule) => ruleMatches(rule, context));
}

export function ruleMatches(rule: RuleMap, context: RuleContext): boolean {
  if (rule.if !== undefined && rule.if !== null) {
    if (!evaluateExpression(String(rule.if), context.lookup)) return false;
  }
  if (rule.changes !== undefined && rule.changes !== null) {
    if (!changesSatisfied(rule.changes, context)) return false;
  }
  if (rule.exists !== undefined && rule.exists !== null) {
    if (!existsSatisfied(rule.exists, context)) return false;
  }
  return true;
}

export function changesSatisfied(changes: unknown, context: RuleContext): boolean {
  const spec = isMap(changes) ? changes : { paths: changes };
  let changed = context.changedPaths;
  if (typeof spec.compare_to === "string" && context.changedPathsComparedTo) {
    changed = context.changedPathsComparedTo(context.expand(spec.compare_to));
  }
  // GitLab: without a diff to compare (new branch, tag, schedule, web), changes is true.
  if (changed === undefined) return true;
  return matchesAnyGlob(stringList(spec.paths).map(context.expand), changed);
}

/** Per file list, whether a glob matches any file: every job's `exists` asks the same questions. */
const existsCache = new WeakMap<readonly string[], Map<string, boolean>>();

export function existsSatisfied(exists: unknown, context: RuleContext): boolean {
  const spec = isMap(exists) ? exists : { paths: exists };
  const globs = stringList(spec.paths).map((glob) => context.expand(glob).replace(/^\/+/, ""));
  let known = existsCache.get(context.repositoryFiles);
  if (!known) {
    known = new Map();
    existsCache.set(context.repositoryFiles, known);
  }
  return globs.some((glob) => {
    let found = known.get(glob);
    if (found === undefined) {
      found = matchesAnyGlob([glob], context.repositoryFiles);
      known.set(glob, found);
    }
    return found;
  });
}

export function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((item) => String(item));
  return [String(value)];
}
