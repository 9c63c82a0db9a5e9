/**
 * The variables a job's `rules` see and the YAML variables it receives, assembled with the
 * variables module's precedence and expansion (GitLab's `Collection#sort_and_expand_all`).
 */
import type { PipelineEvent } from "../event.js";
import {
  type JobInfo,
  jobPredefinedVariables,
  mergeByPrecedence,
  precedenceOf,
  predefinedVariables,
  type Variable,
} from "../variables/index.js";
import { isYamlSource } from "../variables/precedence.js";
import { scopeLayer, scopeValues } from "../variables/scope-lookup.js";

export type Lookup = (name: string) => string | undefined;

export interface ExpandedVariables {
  lookup: Lookup;
  /** GitLab's `circular variable reference detected: …` when the references form a cycle. */
  error?: string;
}

/** Expands the variables of one scope and gives a lookup over the winning, expanded values. */
export function expandedScope(
  variables: Iterable<Variable>,
  protectedRef?: boolean,
): ExpandedVariables {
  const list = [...variables];
  return scopeValues([scopeLayer(protectedRef === false ? list.filter(isOffered) : list)]);
}

/**
 * Expands job scopes. A job's scope is its job-level predefined variables (`CI_JOB_NAME`, …),
 * then `common` (the same for every job, e.g. pipeline predefined variables), then what varies
 * (YAML, pipeline variables): `common` is indexed once, and each job's values are worked out
 * as its rules look them up, which is exactly `expandedScope([...job, ...common, ...varying])`.
 */
export function jobScopeExpander(
  common: readonly Variable[],
): (job: Variable[], varying: Variable[]) => ExpandedVariables {
  const shared = scopeLayer(common);
  return (job, varying) => scopeValues([scopeLayer(job), shared, scopeLayer(varying)]);
}

/** What `mergeByPrecedence` keeps for an unprotected ref: no protected settings variable. */
function isOffered(variable: Variable): boolean {
  return !(
    variable.protected &&
    (variable.source === "instance" || variable.source === "group" || variable.source === "project")
  );
}

/** Pipeline-level predefined variables (what `workflow:rules` and `include:rules` see). */
export function pipelinePredefined(event: PipelineEvent): Variable[] {
  return predefinedVariables(event);
}

/** The job-level predefined variables of one job (`CI_JOB_NAME`, `CI_NODE_*`, ...). */
export function jobPredefined(event: PipelineEvent, job: JobInfo): Variable[] {
  return jobPredefinedVariables(event, job);
}

/** The variables given with the pipeline (`--var`, Run pipeline form, API, trigger). */
export function pipelineVariables(event: PipelineEvent): Variable[] {
  const source =
    event.source === "trigger" ? "trigger" : event.source === "schedule" ? "schedule" : "pipeline";
  return Object.entries(event.variables ?? {}).map(([key, value]) => ({ key, value, source }));
}

/** The variables that win by precedence, in order, as written (not expanded). */
export function winningVariables(variables: Iterable<Variable>): Variable[] {
  const list = [...variables];
  if (!list.every((variable) => isYamlSource(variable.source))) {
    return [...mergeByPrecedence(list).resolved()];
  }
  // Only YAML variables (a job's usual case): `mergeByPrecedence` merges them into one list in
  // which each name keeps its first place and takes its last value, sources in rank order.
  let ranked = list;
  for (let i = 1; i < list.length; i++) {
    const before = list[i - 1] as Variable;
    if (precedenceOf((list[i] as Variable).source) < precedenceOf(before.source)) {
      ranked = [...list].sort((a, b) => precedenceOf(a.source) - precedenceOf(b.source));
      break;
    }
  }
  const winners = new Map<string, Variable>();
  for (const variable of ranked) winners.set(variable.key, variable);
  return [...winners.values()];
}

/** The YAML variables a job receives, as written (not expanded), winning values in order. */
export function yamlValues(variables: Iterable<Variable>): Record<string, string> {
  return valuesOf(winningVariables(variables));
}

/** Key → value of variables that already won by precedence. */
export function valuesOf(variables: readonly Variable[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of variables) {
    if (variable.key !== "__proto__") out[variable.key] = variable.value;
    else {
      Object.defineProperty(out, variable.key, {
        value: variable.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}
