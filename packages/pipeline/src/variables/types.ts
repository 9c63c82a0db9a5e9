/**
 * The shape of a CI/CD variable as the pipeline language carries it: what GitLab calls a
 * variables collection item (key, value, public, file, masked, raw) plus where it came from.
 */

/**
 * Where a variable came from. The order of precedence between sources is in `precedence.ts`
 * (`PRECEDENCE`); the predefined variables are split into the slots GitLab gives them.
 */
export type VariableSource =
  /** GitLab's predefined variables known when the pipeline is created (job, project, pipeline). */
  | "predefined"
  /** `GITLAB_USER_*`: predefined, but GitLab appends them after the YAML variables. */
  | "predefined-user"
  /** Predefined variables that exist only once the job is persisted (`CI_PIPELINE_ID`, `CI_JOB_ID`, …). */
  | "predefined-runtime"
  /** `CI_ENVIRONMENT_SLUG` (and the runtime `CI_ENVIRONMENT_URL`): appended last for a running job. */
  | "predefined-environment"
  /** Deployment (Kubernetes/integration) variables of a job with an environment. */
  | "deployment"
  /** Top-level `variables:` of `.gitlab-ci.yml`. */
  | "yaml-global"
  /** `workflow:rules:variables` of the matching workflow rule (they override the top-level ones). */
  | "workflow-rules"
  /** A job's own `variables:`. */
  | "yaml-job"
  /** One `parallel:matrix` combination, added by the planner. */
  | "matrix"
  /** `rules:variables` of the job's matching rule. */
  | "rules"
  /** Variables from `artifacts:reports:dotenv` of the jobs this job depends on. */
  | "dotenv"
  | "instance"
  | "group"
  | "project"
  /** Run pipeline form, API, `--var`, variables passed to a downstream pipeline. */
  | "pipeline"
  /** Variables sent with a pipeline trigger token. */
  | "trigger"
  /** Variables of the pipeline schedule. */
  | "schedule"
  /** Variables given when running a manual job. */
  | "manual"
  | "scan-execution-policy"
  | "pipeline-execution-policy";

/**
 * When a predefined variable exists, from GitLab's "Predefined CI/CD variables reference"
 * (https://docs.gitlab.com/ci/variables/predefined_variables/#variable-availability):
 * `pre-pipeline` ones can be used in `include:rules`; `pipeline` ones in job `rules` (and
 * `workflow:rules`); `job-only` ones only in a running job's script, never in `rules`.
 */
export type Availability = "pre-pipeline" | "pipeline" | "job-only";

export interface Variable {
  key: string;
  value: string;
  /** File-type variable: the runner writes `value` to a file and the variable holds its path. */
  file?: boolean;
  masked?: boolean;
  protected?: boolean;
  /** `expand: false` in YAML, or a project variable with "Expand variable" cleared: `$` is literal. */
  raw?: boolean;
  /** True for predefined variables (GitLab's `public` flag). */
  public?: boolean;
  /** Where it came from, for explanations and precedence. */
  source: VariableSource;
  /** For predefined variables: the earliest phase at which GitLab provides it. */
  availability?: Availability;
}

/** True for every predefined slot (`predefined`, `predefined-user`, `predefined-runtime`, …). */
export function isPredefined(variable: Pick<Variable, "source">): boolean {
  return variable.source.startsWith("predefined");
}
