/**
 * The variables a job's `rules` see and the YAML variables it receives, assembled with the
 * variables module's precedence and expansion (GitLab's `Collection#sort_and_expand_all`).
 */
import type { PipelineEvent } from "../event.js";
import {
  type JobInfo,
  jobPredefinedVariables,
  mayReferenceVariables,
  mergeByPrecedence,
  predefinedVariables,
  sortAndExpandAll,
  type Variable,
  type VariableSet,
  variableReferences,
} from "../variables/index.js";

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
  const merged = mergeByPrecedence(variables, protectedRef === undefined ? {} : { protectedRef });
  const { variables: expanded, error } = sortAndExpandAll(merged);
  const lookup = lookupOf(expanded);
  return error === undefined ? { lookup } : { lookup, error };
}

/**
 * Expands job scopes, sharing work between jobs. A job's scope is its job-level predefined
 * variables (`CI_JOB_NAME`, …) plus the rest (pipeline predefined, YAML, pipeline variables).
 * When nothing in the rest references or overrides a job-level name, the job-level variables
 * are leaves of GitLab's sort and cannot change how the rest expands: the rest is expanded
 * once per distinct content and reused, which is exactly `expandedScope(job ∪ rest)`. The rest
 * is `common` (the same for every job, e.g. pipeline predefined variables) then `varying`.
 */
export function jobScopeExpander(
  common: readonly Variable[],
): (job: Variable[], varying: Variable[]) => ExpandedVariables {
  const cache = new Map<string, { expanded: ExpandedVariables; names: Set<string> }>();
  return (job, varying) => {
    const rest = [...common, ...varying];
    const jobKeys = new Set(job.map((variable) => variable.key));
    if (job.some((variable) => !variable.raw && mayReferenceVariables(variable.value))) {
      return expandedScope([...job, ...rest]);
    }
    // `common` is the same for every job of the pipeline: only what varies needs a key.
    const signature = varying
      .map(
        (v) => `${v.source}\u0001${v.key}\u0001${v.raw ? 1 : 0}${v.file ? 1 : 0}\u0001${v.value}`,
      )
      .join("\u0002");
    let shared = cache.get(signature);
    if (!shared) {
      const names = new Set<string>();
      for (const variable of rest) {
        names.add(variable.key);
        for (const name of variableReferences(variable)) names.add(name);
      }
      shared = { expanded: expandedScope(rest), names };
      cache.set(signature, shared);
    }
    for (const key of jobKeys) if (shared.names.has(key)) return expandedScope([...job, ...rest]);
    const values = new Map(job.map((variable) => [variable.key, variable.value]));
    const base = shared.expanded;
    const lookup: Lookup = (name) => values.get(name) ?? base.lookup(name);
    return base.error === undefined ? { lookup } : { lookup, error: base.error };
  };
}

function lookupOf(set: VariableSet): Lookup {
  return (name) => set.value(name);
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
  return [...mergeByPrecedence(variables).resolved()];
}

/** The YAML variables a job receives, as written (not expanded), winning values in order. */
export function yamlValues(variables: Iterable<Variable>): Record<string, string> {
  return valuesOf(winningVariables(variables));
}

/** Key → value of variables that already won by precedence. */
export function valuesOf(variables: readonly Variable[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of variables) {
    Object.defineProperty(out, variable.key, {
      value: variable.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
