/**
 * The variables a running job receives (runner protocol §3.3): GitLab's predefined variables
 * for the job, the YAML variables, the dotenv variables of the jobs it depends on, the
 * pipeline's variables and the job's secrets, merged by GitLab's precedence and expanded as
 * GitLab does for runners (unknown references kept, file and raw references not expanded).
 * Docs: https://docs.gitlab.com/ci/variables/#cicd-variable-precedence
 */
import {
  expandVariables,
  isMap,
  type JobEnvironment,
  mergeByPrecedence,
  type PipelineEvent,
  type PlannedJob,
  predefinedVariables,
  RUNNER_EXPANSION,
  sortAndExpandAll,
  type Variable,
} from "@conveyor/pipeline";
import type { JobVariable } from "@conveyor/protocol";

export interface JobVariableInputs {
  event: PipelineEvent;
  job: PlannedJob;
  jobId: number;
  /** `artifacts:reports:dotenv` variables of the jobs this job takes artifacts from, in order. */
  dotenv: readonly { key: string; value: string }[];
  /** Variables the job holds but the YAML does not: `CI_JOB_TOKEN` and other secrets. */
  secrets: readonly JobVariable[];
}

export interface ResolvedJobVariables {
  variables: JobVariable[];
  /** Expands a keyword value (image name, artifact paths, …) with the job's variables. */
  expand: (value: string) => string;
  environment?: JobEnvironment;
}

export function resolveJobVariables(inputs: JobVariableInputs): ResolvedJobVariables {
  const { event, job } = inputs;
  const given: Variable[] = Object.entries(event.variables ?? {}).map(([key, value]) => ({
    key,
    value,
    source:
      event.source === "trigger"
        ? "trigger"
        : event.source === "schedule"
          ? "schedule"
          : "pipeline",
  }));
  const dotenv: Variable[] = inputs.dotenv.map(({ key, value }) => ({
    key,
    value,
    source: "dotenv",
  }));
  const secrets: Variable[] = inputs.secrets.map((secret) => ({
    key: secret.key,
    value: secret.value,
    source: "project",
    public: secret.public,
    ...(secret.masked ? { masked: true } : {}),
    ...(secret.file ? { file: true } : {}),
    ...(secret.raw ? { raw: true } : {}),
  }));
  // The environment name is expanded with the job's other variables first (GitLab expands it
  // before the job's environment variables exist).
  const withoutEnvironment = [
    ...jobPredefined(inputs),
    ...job.yamlVariables,
    ...dotenv,
    ...secrets,
    ...given,
  ];
  const environment = environmentOf(job.definition.environment, withoutEnvironment, event);
  const all = environment
    ? [...jobPredefined(inputs, environment), ...job.yamlVariables, ...dotenv, ...secrets, ...given]
    : withoutEnvironment;
  const merged = mergeByPrecedence(all, { protectedRef: event.ref.protected === true });
  // On a reference cycle GitLab keeps the values as written; so does sortAndExpandAll.
  const { variables: set } = sortAndExpandAll(merged, RUNNER_EXPANSION);
  const variables = set.resolved().map(toJobVariable);
  const lookup = (key: string) => set.value(key);
  const resolved: ResolvedJobVariables = {
    variables,
    expand: (value) => expandVariables(value, lookup),
  };
  if (environment) resolved.environment = environment;
  return resolved;
}

function jobPredefined(inputs: JobVariableInputs, environment?: JobEnvironment): Variable[] {
  const { job } = inputs;
  return predefinedVariables(
    inputs.event,
    {
      name: job.name,
      stage: job.stage,
      id: inputs.jobId,
      when: job.when,
      ...(job.nodeTotal !== undefined
        ? { nodeIndex: job.nodeIndex ?? 1, nodeTotal: job.nodeTotal }
        : {}),
      ...(environment ? { environment } : {}),
    },
    { phase: "job" },
  );
}

function environmentOf(
  value: unknown,
  variables: Variable[],
  event: PipelineEvent,
): JobEnvironment | undefined {
  const raw = typeof value === "string" ? { name: value } : isMap(value) ? value : undefined;
  if (!raw || typeof raw.name !== "string") return undefined;
  const merged = mergeByPrecedence(variables, { protectedRef: event.ref.protected === true });
  const name = expandVariables(raw.name, (key) => merged.value(key));
  const environment: JobEnvironment = { name };
  if (typeof raw.action === "string") environment.action = raw.action;
  if (typeof raw.deployment_tier === "string") environment.tier = raw.deployment_tier;
  if (typeof raw.url === "string") environment.url = raw.url;
  return environment;
}

/** YAML-defined variables are public on GitLab; project, pipeline and secret ones are not. */
const PUBLIC_SOURCES = new Set<Variable["source"]>([
  "predefined",
  "predefined-user",
  "predefined-runtime",
  "predefined-environment",
  "yaml-global",
  "workflow-rules",
  "yaml-job",
  "matrix",
  "rules",
]);

function toJobVariable(variable: Variable): JobVariable {
  const out: JobVariable = {
    key: variable.key,
    value: variable.value,
    public: variable.public ?? PUBLIC_SOURCES.has(variable.source),
  };
  if (variable.masked) out.masked = true;
  if (variable.file) out.file = true;
  if (variable.raw) out.raw = true;
  return out;
}
