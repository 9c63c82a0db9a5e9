/**
 * The variables a job's `rules` see and the YAML variables it receives, assembled with the
 * variables module's precedence and expansion (GitLab's `Collection#sort_and_expand_all`).
 */
import type { PipelineEvent } from "../event.js";
import {
  type JobInfo,
  jobPredefinedVariables,
  mergeByPrecedence,
  predefinedVariables,
  sortAndExpandAll,
  type Variable,
  type VariableSet,
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

/** The YAML variables a job receives, as written (not expanded), winning values in order. */
export function yamlValues(variables: Iterable<Variable>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of mergeByPrecedence(variables).resolved()) {
    Object.defineProperty(out, variable.key, {
      value: variable.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
