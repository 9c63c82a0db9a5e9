/**
 * The pipeline GitLab would create for an event: workflow rules, then each job's `rules` or
 * `only`/`except`, `when`, `allow_failure`, `start_in`, `needs`, and the YAML variables each job
 * receives. Pure: the event carries every fact about the world.
 *
 * Loops that run once per job are indexed: `conveyor plan` is a fresh process, where they run
 * before the JIT has optimised them, and there `for…of` costs an iterator object per loop.
 * Docs: https://docs.gitlab.com/ci/yaml/workflow/ , https://docs.gitlab.com/ci/jobs/job_rules/
 */
import { type ConfigMap, isMap } from "../compose/deep-merge.js";
import { inheritsVariable } from "../compose/inherit.js";
import type { JOB_WHEN } from "../compose/keywords.js";
import { errorAtKey as at, type Diagnostic } from "../diagnostics.js";
import type { PipelineEvent } from "../event.js";
import type { RuleContext } from "../rules/context.js";
import { isIncludedByPolicies, toPolicy } from "../rules/only-except.js";
import { flattenRules, matchRule, type RuleMap } from "../rules/rules.js";
import {
  expandVariables,
  type JobInfo,
  jobVariableError,
  parseYamlVariables,
  type Variable,
} from "../variables/index.js";
import type { CompiledJob, CompiledPipeline } from "./compile.js";
import { type NeedSpec, parseNeeds, resolveNeed } from "./needs.js";
import type { JobInstance } from "./parallel.js";
import { RulesMemo } from "./rules-memo.js";
import {
  jobPredefined,
  type Lookup,
  type PipelineLayers,
  pipelineLayers,
  pipelineScope,
  type SharedJobVariables,
  sharedJobVariables,
  yamlValues,
} from "./variables.js";

export type JobWhen = (typeof JOB_WHEN)[number];

export interface PlannedJob {
  /** The job's name in the pipeline (`test 1/3` for a parallel instance). */
  name: string;
  /** The job's key in the YAML. */
  jobName: string;
  stage: string;
  when: JobWhen;
  startIn?: string;
  allowFailure: boolean;
  /** Exit codes that count as an allowed failure (`allow_failure:exit_codes`). */
  allowFailureExitCodes?: number[];
  /** Names of the jobs this job needs, or null when it has no `needs` (stage order). */
  needs: string[] | null;
  /** Needs whose artifacts are downloaded. */
  needsArtifacts: string[];
  /** YAML variables: global, job, matrix, then the matching rule's, as written. */
  variables: Record<string, string>;
  /** The same winning YAML variables with their flags (`expand: false` → raw) and sources. */
  yamlVariables: Variable[];
  matrix?: Record<string, string>;
  nodeIndex?: number;
  nodeTotal?: number;
  /** The job's keywords after `extends`, `default` and `inherit`. */
  definition: ConfigMap;
}

export interface Plan {
  created: boolean;
  /** Why no pipeline is created. */
  reason?: string;
  /** `workflow:name`, expanded. */
  name?: string;
  stages: string[];
  jobs: PlannedJob[];
  /** The global YAML variables after `workflow:rules:variables`. */
  variables: Record<string, string>;
  autoCancel?: ConfigMap;
  errors: Diagnostic[];
}

export const WORKFLOW_FILTERED = "Pipeline filtered out by workflow rules.";
export const NO_JOBS =
  "Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.";

interface PipelineScope {
  event: PipelineEvent;
  file: string;
  /** Top-level YAML variables, then the matching workflow rule's. */
  globals: Variable[];
  /** The pipeline's predefined and given variables, indexed once for every scope. */
  layers: PipelineLayers;
  hasWorkflowRules: boolean;
  compareTo: ChangedPathsComparedTo | undefined;
  /**
   * What the jobs with the same `inherit` share, by that value (`undefined` for most jobs):
   * which globals a job receives depends on it alone.
   */
  sharedByInherit: Map<unknown, SharedJobVariables>;
  /** The matching rule of each job's `rules`, remembered for jobs with the same rules. */
  jobRules: RulesMemo<RuleMap | undefined>;
  errors: Diagnostic[];
}

/** Paths changed between the pipeline's commit and `ref` (`rules:changes:compare_to`). */
export type ChangedPathsComparedTo = (ref: string) => readonly string[] | undefined;

export interface PlanOptions {
  compareTo?: ChangedPathsComparedTo;
}

/** A job of the plan, with its `needs` as written until they are resolved. */
interface Draft {
  job: PlannedJob;
  needSpecs: NeedSpec[] | null;
}

export function planPipeline(
  compiled: CompiledPipeline,
  event: PipelineEvent,
  file: string,
  options: PlanOptions = {},
): Plan {
  const scope: PipelineScope = {
    event,
    file,
    globals: compiled.variables,
    layers: pipelineLayers(event),
    hasWorkflowRules: compiled.hasWorkflowRules,
    compareTo: options.compareTo,
    sharedByInherit: new Map(),
    jobRules: new RulesMemo(),
    errors: [],
  };
  const notCreated = (reason: string): Plan => ({
    created: false,
    reason,
    stages: [],
    jobs: [],
    variables: yamlValues(scope.globals),
    errors: scope.errors,
  });

  const workflow = compiled.workflow;
  let autoCancel = isMap(workflow?.auto_cancel) ? workflow.auto_cancel : undefined;
  if (workflow && workflow.rules !== undefined && workflow.rules !== null) {
    const { lookup } = pipelineScope(scope.layers, scope.globals);
    const rule = safeMatch(
      workflow.rules,
      ruleContext(event, lookup, scope.compareTo),
      "workflow:rules",
      workflow,
      scope,
    );
    if (scope.errors.length > 0) return notCreated(scope.errors[0]?.message ?? WORKFLOW_FILTERED);
    if (!rule || rule.when === "never") return notCreated(WORKFLOW_FILTERED);
    const ruleVariables = parseYamlVariables(rule.variables, "workflow:rules:variables", {
      scope: "rules",
      source: "workflow-rules",
    }).variables;
    scope.globals = [...scope.globals, ...ruleVariables];
    if (isMap(rule.auto_cancel)) autoCancel = { ...(autoCancel ?? {}), ...rule.auto_cancel };
  }

  const drafts: Draft[] = [];
  for (let j = 0; j < compiled.jobs.length; j++) {
    const job = compiled.jobs[j] as CompiledJob;
    for (let i = 0; i < job.instances.length; i++) {
      const draft = planJob(job, job.instances[i] as JobInstance, scope);
      if (draft) drafts.push(draft);
    }
  }
  if (scope.errors.length === 0) resolveDraftNeeds(drafts, scope);
  if (scope.errors.length > 0) return notCreated(scope.errors[0]?.message ?? "");

  const jobs = inStageOrder(
    drafts.map((draft) => draft.job),
    compiled.stages,
  );
  // A pipeline of nothing but `.pre`/`.post` jobs is not created either.
  if (jobs.every((job) => job.stage === ".pre" || job.stage === ".post"))
    return notCreated(NO_JOBS);

  const used = new Set(jobs.map((job) => job.stage));
  const plan: Plan = {
    created: true,
    stages: compiled.stages.filter((stage) => used.has(stage)),
    jobs,
    variables: yamlValues(scope.globals),
    errors: scope.errors,
  };
  if (autoCancel) plan.autoCancel = autoCancel;
  if (typeof workflow?.name === "string") {
    const { lookup } = pipelineScope(scope.layers, scope.globals);
    plan.name = expandVariables(workflow.name, lookup);
  }
  return plan;
}

function planJob(job: CompiledJob, instance: JobInstance, scope: PipelineScope): Draft | undefined {
  const def = job.definition;
  const shared = sharedVariablesOf(def, scope);
  const own = instance.matrix
    ? [...job.ownVariables, ...matrixVariables(instance.matrix)]
    : job.ownVariables;
  const jobWhen = typeof def.when === "string" ? def.when : "on_success";
  const jobInfo: JobInfo = { name: instance.name, stage: job.stage, when: jobWhen };
  if (instance.nodeTotal !== undefined) {
    jobInfo.nodeIndex = instance.nodeIndex as number;
    jobInfo.nodeTotal = instance.nodeTotal;
  }
  const { lookup, error } = shared.scope(jobPredefined(scope.event, jobInfo), own);
  if (error !== undefined) {
    scope.errors.push(
      at(
        jobVariableError(instance.name, error),
        `jobs:${job.name}:variables`,
        def,
        "variables",
        scope.file,
      ),
    );
    return undefined;
  }

  let when = jobWhen;
  let startIn = typeof def.start_in === "string" ? def.start_in : undefined;
  const allow = parseAllowFailure(def.allow_failure);
  let allowFailure = allow.value ?? jobWhen === "manual";
  let exitCodes = allow.exitCodes;
  let needSpecs = parseNeeds(def.needs);
  let ruleVariables: Variable[] = [];

  if (def.rules !== undefined && def.rules !== null) {
    const rule = matchJobRules(def.rules, lookup, `jobs:${job.name}:rules`, def, scope);
    if (!rule) return undefined;
    when = typeof rule.when === "string" ? rule.when : jobWhen;
    if (typeof rule.start_in === "string") startIn = rule.start_in;
    if (rule.allow_failure !== undefined) {
      const ruleAllow = parseAllowFailure(rule.allow_failure);
      allowFailure = ruleAllow.value ?? allowFailure;
      exitCodes = ruleAllow.exitCodes;
    }
    ruleVariables = parseYamlVariables(rule.variables, `jobs:${job.name}:rules:variables`, {
      scope: "rules",
    }).variables;
    if (rule.needs !== undefined) needSpecs = parseNeeds(rule.needs);
  } else {
    try {
      const included = isIncludedByPolicies(
        toPolicy(def.only),
        toPolicy(def.except),
        scope.event,
        ruleContext(scope.event, lookup, scope.compareTo),
        scope.hasWorkflowRules,
      );
      if (!included) return undefined;
    } catch (failure) {
      scope.errors.push(expressionError(`jobs:${job.name}`, failure, def, scope.file));
      return undefined;
    }
  }
  if (when === "never") return undefined;

  const { variables, yamlVariables } = shared.yaml(
    ruleVariables.length === 0 ? own : [...own, ...ruleVariables],
  );
  const planned: PlannedJob = {
    name: instance.name,
    jobName: job.name,
    stage: job.stage,
    when: when as JobWhen,
    allowFailure: exitCodes ? false : allowFailure,
    needs: needSpecs ? [] : null,
    needsArtifacts: [],
    variables,
    yamlVariables,
    definition: def,
  };
  if (when === "delayed" && startIn !== undefined) planned.startIn = startIn;
  if (exitCodes) planned.allowFailureExitCodes = exitCodes;
  if (instance.matrix) planned.matrix = instance.matrix;
  if (instance.nodeTotal !== undefined) {
    planned.nodeIndex = instance.nodeIndex as number;
    planned.nodeTotal = instance.nodeTotal;
  }
  return { job: planned, needSpecs };
}

/**
 * The jobs ordered by stage, each stage's in the given order (a stable sort by stage index; a
 * stage not in `stages` counts as the first), one pass per job.
 */
function inStageOrder(jobs: readonly PlannedJob[], stages: readonly string[]): PlannedJob[] {
  const stageIndex = new Map(stages.map((stage, i) => [stage, i]));
  const byStage: PlannedJob[][] = stages.map(() => []);
  if (byStage.length === 0) byStage.push([]);
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as PlannedJob;
    (byStage[stageIndex.get(job.stage) ?? 0] as PlannedJob[]).push(job);
  }
  return byStage.flat();
}

/** Turns each draft's need specs into job names of this pipeline; a missing required need is an error. */
function resolveDraftNeeds(drafts: Draft[], scope: PipelineScope): void {
  const present = new Map<string, string[]>();
  for (let i = 0; i < drafts.length; i++) {
    const { job } = drafts[i] as Draft;
    const names = present.get(job.jobName);
    if (names) names.push(job.name);
    else present.set(job.jobName, [job.name]);
  }
  for (let i = 0; i < drafts.length; i++) {
    const { job: draft, needSpecs } = drafts[i] as Draft;
    if (!needSpecs) continue;
    const names: string[] = [];
    for (let n = 0; n < needSpecs.length; n++) {
      const need = needSpecs[n] as NeedSpec;
      const resolved = resolveNeed(need, present);
      if (resolved.length === 0 && !need.optional) {
        scope.errors.push(
          at(
            `'${draft.name}' job needs '${need.job}' job, but '${need.job}' does not exist in the pipeline. This might be because of the only, except, or rules keywords. To need a job that sometimes does not exist in the pipeline, use needs:optional.`,
            `jobs:${draft.jobName}:needs`,
            draft.definition,
            "needs",
            scope.file,
          ),
        );
      }
      names.push(...resolved);
      if (need.artifacts) draft.needsArtifacts.push(...resolved);
    }
    draft.needs = names;
  }
}

/**
 * What `job` shares with the other jobs that inherit the same globals, worked out by the first
 * of them: `inheritsVariable` depends on the job's `inherit` alone.
 */
function sharedVariablesOf(def: ConfigMap, scope: PipelineScope): SharedJobVariables {
  let shared = scope.sharedByInherit.get(def.inherit);
  if (shared === undefined) {
    const globals = scope.globals.filter((variable) => inheritsVariable(def, variable.key));
    shared = sharedJobVariables(scope.layers, globals);
    scope.sharedByInherit.set(def.inherit, shared);
  }
  return shared;
}

/** One `parallel:matrix` combination as variables. */
function matrixVariables(matrix: Record<string, string>): Variable[] {
  return Object.entries(matrix).map(([key, value]): Variable => ({ key, value, source: "matrix" }));
}

function parseAllowFailure(value: unknown): { value?: boolean; exitCodes?: number[] } {
  if (typeof value === "boolean") return { value };
  if (isMap(value) && value.exit_codes !== undefined) {
    const codes = Array.isArray(value.exit_codes) ? value.exit_codes : [value.exit_codes];
    return { value: false, exitCodes: codes.map(Number) };
  }
  return {};
}

export function ruleContext(
  event: PipelineEvent,
  lookup: Lookup,
  compareTo?: ChangedPathsComparedTo,
): RuleContext {
  return {
    lookup,
    expand: (value) => expandVariables(value, lookup),
    changedPaths: event.changedPaths,
    ...(compareTo ? { changedPathsComparedTo: compareTo } : {}),
    repositoryFiles: event.repositoryFiles ?? [],
  };
}

function safeMatch(
  rules: unknown,
  context: RuleContext,
  path: string,
  owner: ConfigMap,
  scope: PipelineScope,
): RuleMap | undefined {
  return safely(() => matchRule(flattenRules(rules), context), path, owner, scope);
}

/**
 * The first matching rule of a job's `rules` for the variables `lookup` gives, remembered for
 * the jobs with the same `rules` (`RulesMemo`): matching reads nothing else of the job.
 */
function matchJobRules(
  rules: unknown,
  lookup: Lookup,
  path: string,
  owner: ConfigMap,
  scope: PipelineScope,
): RuleMap | undefined {
  return safely(
    () =>
      scope.jobRules.decide(rules, lookup, (seen) =>
        matchRule(flattenRules(rules), ruleContext(scope.event, seen, scope.compareTo)),
      ),
    path,
    owner,
    scope,
  );
}

/** `match()`, or undefined with the expression error it throws added to the scope's errors. */
function safely(
  match: () => RuleMap | undefined,
  path: string,
  owner: ConfigMap,
  scope: PipelineScope,
): RuleMap | undefined {
  try {
    return match();
  } catch (failure) {
    scope.errors.push(expressionError(path, failure, owner, scope.file));
    return undefined;
  }
}

function expressionError(
  path: string,
  failure: unknown,
  owner: ConfigMap,
  file: string,
): Diagnostic {
  const detail = failure instanceof Error ? failure.message : String(failure);
  return at(`${path}:rule if invalid expression syntax (${detail})`, path, owner, "rules", file);
}
