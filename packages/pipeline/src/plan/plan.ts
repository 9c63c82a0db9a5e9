/**
 * The pipeline GitLab would create for an event: workflow rules, then each job's `rules` or
 * `only`/`except`, `when`, `allow_failure`, `start_in`, `needs`, and the YAML variables each job
 * receives. Pure: the event carries every fact about the world.
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
  jobVariableError,
  parseYamlVariables,
  type Variable,
} from "../variables/index.js";
import type { CompiledJob, CompiledPipeline } from "./compile.js";
import { type NeedSpec, parseNeeds, resolveNeed } from "./needs.js";
import type { JobInstance } from "./parallel.js";
import {
  expandedScope,
  jobPredefined,
  jobScopeExpander,
  type Lookup,
  pipelinePredefined,
  pipelineVariables,
  valuesOf,
  winningVariables,
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
  predefined: Variable[];
  given: Variable[];
  hasWorkflowRules: boolean;
  compareTo: ChangedPathsComparedTo | undefined;
  expandJobScope: ReturnType<typeof jobScopeExpander>;
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
  const predefined = pipelinePredefined(event);
  const scope: PipelineScope = {
    event,
    file,
    globals: compiled.variables,
    predefined,
    given: pipelineVariables(event),
    hasWorkflowRules: compiled.hasWorkflowRules,
    compareTo: options.compareTo,
    expandJobScope: jobScopeExpander(predefined),
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
    const { lookup } = expandedScope([...scope.predefined, ...scope.globals, ...scope.given]);
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
  for (const job of compiled.jobs) {
    for (const instance of job.instances) {
      const draft = planJob(job, instance, scope);
      if (draft) drafts.push(draft);
    }
  }
  if (scope.errors.length === 0) resolveDraftNeeds(drafts, scope);
  if (scope.errors.length > 0) return notCreated(scope.errors[0]?.message ?? "");

  const stageIndex = new Map(compiled.stages.map((stage, i) => [stage, i]));
  const jobs = drafts
    .map(({ job }, i) => ({ job, i }))
    .sort(
      (a, b) =>
        (stageIndex.get(a.job.stage) ?? 0) - (stageIndex.get(b.job.stage) ?? 0) || a.i - b.i,
    )
    .map(({ job }) => job);
  // A pipeline of nothing but `.pre`/`.post` jobs is not created either.
  if (jobs.every((job) => job.stage === ".pre" || job.stage === ".post"))
    return notCreated(NO_JOBS);

  const plan: Plan = {
    created: true,
    stages: compiled.stages.filter((stage) => jobs.some((job) => job.stage === stage)),
    jobs,
    variables: yamlValues(scope.globals),
    errors: scope.errors,
  };
  if (autoCancel) plan.autoCancel = autoCancel;
  if (typeof workflow?.name === "string") {
    const { lookup } = expandedScope([...scope.predefined, ...scope.globals, ...scope.given]);
    plan.name = expandVariables(workflow.name, lookup);
  }
  return plan;
}

function planJob(job: CompiledJob, instance: JobInstance, scope: PipelineScope): Draft | undefined {
  const def = job.definition;
  const yaml: Variable[] = [
    ...scope.globals.filter((variable) => inheritsVariable(def, variable.key)),
    ...job.ownVariables,
    ...Object.entries(instance.matrix ?? {}).map(([key, value]): Variable => ({
      key,
      value,
      source: "matrix",
    })),
  ];
  const jobWhen = typeof def.when === "string" ? def.when : "on_success";
  const predefined = jobPredefined(scope.event, {
    name: instance.name,
    stage: job.stage,
    when: jobWhen,
    ...(instance.nodeTotal !== undefined
      ? { nodeIndex: instance.nodeIndex as number, nodeTotal: instance.nodeTotal }
      : {}),
  });
  const { lookup, error } = scope.expandJobScope(predefined, [...yaml, ...scope.given]);
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
  const context = ruleContext(scope.event, lookup, scope.compareTo);

  let when = jobWhen;
  let startIn = typeof def.start_in === "string" ? def.start_in : undefined;
  const allow = parseAllowFailure(def.allow_failure);
  let allowFailure = allow.value ?? jobWhen === "manual";
  let exitCodes = allow.exitCodes;
  let needSpecs = parseNeeds(def.needs);

  if (def.rules !== undefined && def.rules !== null) {
    const rule = safeMatch(def.rules, context, `jobs:${job.name}:rules`, def, scope);
    if (!rule) return undefined;
    when = typeof rule.when === "string" ? rule.when : jobWhen;
    if (typeof rule.start_in === "string") startIn = rule.start_in;
    if (rule.allow_failure !== undefined) {
      const ruleAllow = parseAllowFailure(rule.allow_failure);
      allowFailure = ruleAllow.value ?? allowFailure;
      exitCodes = ruleAllow.exitCodes;
    }
    yaml.push(
      ...parseYamlVariables(rule.variables, `jobs:${job.name}:rules:variables`, { scope: "rules" })
        .variables,
    );
    if (rule.needs !== undefined) needSpecs = parseNeeds(rule.needs);
  } else {
    try {
      const included = isIncludedByPolicies(
        toPolicy(def.only),
        toPolicy(def.except),
        scope.event,
        context,
        scope.hasWorkflowRules,
      );
      if (!included) return undefined;
    } catch (failure) {
      scope.errors.push(expressionError(`jobs:${job.name}`, failure, def, scope.file));
      return undefined;
    }
  }
  if (when === "never") return undefined;

  const { variables, yamlVariables } = yamlVariablesOf(yaml);
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

/** Turns each draft's need specs into job names of this pipeline; a missing required need is an error. */
function resolveDraftNeeds(drafts: Draft[], scope: PipelineScope): void {
  const present = new Map<string, string[]>();
  for (const { job } of drafts) {
    const names = present.get(job.jobName);
    if (names) names.push(job.name);
    else present.set(job.jobName, [job.name]);
  }
  for (const { job: draft, needSpecs } of drafts) {
    if (!needSpecs) continue;
    const names: string[] = [];
    for (const need of needSpecs) {
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

function yamlVariablesOf(yaml: Variable[]): Pick<PlannedJob, "variables" | "yamlVariables"> {
  const yamlVariables = winningVariables(yaml);
  return { variables: valuesOf(yamlVariables), yamlVariables };
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
  try {
    return matchRule(flattenRules(rules), context);
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
