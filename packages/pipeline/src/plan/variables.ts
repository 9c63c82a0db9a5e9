/**
 * The variables a job's `rules` see and the YAML variables it receives, assembled with the
 * variables module's precedence and expansion (GitLab's `Collection#sort_and_expand_all`).
 *
 * Most of a job's variables are the same for every job of the pipeline: the pipeline's
 * predefined variables, the global YAML variables (for every job that inherits the same ones)
 * and the variables given with the pipeline. `sharedJobVariables` works out what depends on
 * those alone once, and each job adds only its own: job-level predefined variables, its own
 * YAML, matrix and rule variables. (Loops that run once per job are indexed, as in `plan.ts`.)
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
import {
  OWN_LAYER,
  type ScopeLayer,
  type ScopeTemplate,
  scopeLayer,
  scopeTemplate,
  scopeValues,
} from "../variables/scope-lookup.js";

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

/** The layers of variables every scope of a pipeline has, indexed once for all of them. */
export interface PipelineLayers {
  /** Pipeline-level predefined variables (`pipelinePredefined`). */
  predefined: ScopeLayer;
  /** The variables given with the pipeline (`pipelineVariables`). */
  given: ScopeLayer;
}

/** The pipeline's predefined variables and the variables given with it, as layers. */
export function pipelineLayers(event: PipelineEvent): PipelineLayers {
  return {
    predefined: scopeLayer(pipelinePredefined(event)),
    given: scopeLayer(pipelineVariables(event)),
  };
}

/**
 * The scope of the pipeline itself, which `workflow:rules` and `workflow:name` see: exactly
 * `expandedScope([...predefined, ...globals, ...given])`.
 */
export function pipelineScope(
  pipeline: PipelineLayers,
  globals: readonly Variable[],
): ExpandedVariables {
  return scopeValues([pipeline.predefined, scopeLayer(globals), pipeline.given]);
}

/** What the jobs that inherit the same global variables share, worked out once for all of them. */
export interface SharedJobVariables {
  /**
   * The expanded scope of one job (`own`: its YAML and matrix variables): exactly
   * `expandedScope([...jobPredefined, ...predefined, ...globals, ...own, ...given])`, of which
   * only the job's two layers are new.
   */
  scope(jobPredefined: readonly Variable[], own: readonly Variable[]): ExpandedVariables;
  /**
   * The YAML variables a job receives (`own`: its YAML, matrix and rule variables): exactly
   * `winningVariables([...globals, ...own])` and their values, laid over the globals' winners
   * when the order of the sources allows it.
   */
  yaml(own: readonly Variable[]): JobYamlVariables;
}

export interface JobYamlVariables {
  /** Winning values by name, in the order of `yamlVariables`. */
  variables: Record<string, string>;
  /** The winning variables, in order, as written (not expanded). */
  yamlVariables: Variable[];
}

/**
 * The shared part of the variables of the jobs that receive `globals` (the top-level YAML and
 * workflow rule variables that `inherit:variables` lets through).
 */
export function sharedJobVariables(
  pipeline: PipelineLayers,
  globals: readonly Variable[],
): SharedJobVariables {
  const template: ScopeTemplate = scopeTemplate([
    OWN_LAYER,
    pipeline.predefined,
    scopeLayer(globals),
    OWN_LAYER,
    pipeline.given,
  ]);
  const winners = yamlWinners(globals);
  return {
    scope: (jobPredefined, own) => template.values([scopeLayer(jobPredefined), scopeLayer(own)]),
    yaml: (own) => overlayYaml(winners, own),
  };
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
  for (let i = 0; i < variables.length; i++) {
    const variable = variables[i] as Variable;
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

/** The winners of a list of variables, indexed to lay more variables over them (`overlayYaml`). */
interface YamlWinners {
  readonly variables: readonly Variable[];
  /**
   * The rank of the last variable when they are all YAML variables in rank order, which is
   * when `winningVariables` keeps each name's first place and last value: else undefined.
   */
  readonly lastRank: number | undefined;
  readonly winners: readonly Variable[];
  /** Each winner's place in `winners`. */
  readonly places: ReadonlyMap<string, number>;
}

function yamlWinners(variables: readonly Variable[]): YamlWinners {
  const winners = winningVariables(variables);
  return {
    variables,
    lastRank: inRankOrder(variables, -1),
    winners,
    places: new Map(winners.map((variable, place) => [variable.key, place])),
  };
}

/**
 * The rank of the last of `variables` when they are all YAML variables ranked no lower than
 * `from` and than the ones before them; else undefined.
 */
function inRankOrder(variables: readonly Variable[], from: number): number | undefined {
  let rank = from;
  for (let i = 0; i < variables.length; i++) {
    const variable = variables[i] as Variable;
    const next = precedenceOf(variable.source);
    if (next < rank || !isYamlSource(variable.source)) return undefined;
    rank = next;
  }
  return rank;
}

/**
 * `winningVariables([...base.variables, ...more])` and their values. When the whole list is in
 * rank order, each name keeps its first place and takes its last value: `more` then replaces
 * or follows the base's winners, which are not merged again.
 */
function overlayYaml(base: YamlWinners, more: readonly Variable[]): JobYamlVariables {
  if (base.lastRank === undefined || inRankOrder(more, base.lastRank) === undefined) {
    const yamlVariables = winningVariables([...base.variables, ...more]);
    return { variables: valuesOf(yamlVariables), yamlVariables };
  }
  const yamlVariables = base.winners.slice();
  let added: Map<string, number> | undefined;
  for (let i = 0; i < more.length; i++) {
    const variable = more[i] as Variable;
    const place = base.places.get(variable.key) ?? added?.get(variable.key);
    if (place !== undefined) yamlVariables[place] = variable;
    else {
      (added ??= new Map()).set(variable.key, yamlVariables.length);
      yamlVariables.push(variable);
    }
  }
  // A fresh record: adding keys to a copy of the globals' record is slower in V8.
  return { variables: valuesOf(yamlVariables), yamlVariables };
}
