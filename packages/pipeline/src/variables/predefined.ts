/**
 * GitLab's predefined CI/CD variables that can be derived from a PipelineEvent, in the order
 * GitLab builds them (job, then project, then pipeline variables; `Gitlab::Ci::Variables::Builder`).
 *
 * Reference: https://docs.gitlab.com/ci/variables/predefined_variables/ ("Predefined CI/CD
 * variables reference", with each variable's availability: pre-pipeline, pipeline, job-only).
 * A variable GitLab does not set for a pipeline is absent, never empty: `CI_COMMIT_TAG` on a
 * branch, `CI_COMMIT_BRANCH` in a merge request or tag pipeline. Where GitLab sets a variable
 * to an empty string (`CI_MERGE_REQUEST_SOURCE_BRANCH_SHA` outside merged results pipelines)
 * it is present and empty.
 *
 * Runner-side variables (`CI_PROJECT_DIR`, `CI_BUILDS_DIR`, `CI_RUNNER_*`, `CI_CONCURRENT_*`,
 * `CI_SERVER_TLS_*`, `CI_JOB_STATUS`) are set by the runner when the job starts, and secrets
 * (`CI_JOB_TOKEN`, `CI_REGISTRY_PASSWORD`, …) exist only for a running job: neither is here.
 */
import type { PipelineEvent } from "../event.js";
import { PredefinedBuilder, projectWebUrl, serverBase, serverParts } from "./predefined-builder.js";
import { pipelineVariables } from "./predefined-pipeline.js";
import { environmentSlug, slugify } from "./slug.js";
import type { Availability, Variable } from "./types.js";

/** The job a set of job-level variables is for. */
export interface JobInfo {
  name: string;
  stage: string;
  /** `CI_JOB_ID` (job-only). */
  id?: number;
  /** The job's `when`: `manual` and `delayed` jobs get `CI_JOB_MANUAL=true`. */
  when?: string;
  /** `CI_NODE_INDEX`, only for `parallel` jobs (1-based). */
  nodeIndex?: number;
  /** `CI_NODE_TOTAL`; 1 when the job does not use `parallel`. */
  nodeTotal?: number;
  environment?: JobEnvironment;
}

export interface JobEnvironment {
  /** The environment name, already expanded (GitLab expands `environment:name` first). */
  name: string;
  /** `environment:action`; `start` when not given. */
  action?: string;
  /** `environment:deployment_tier`, or the tier of the existing environment. */
  tier?: string;
  /** `environment:url` (unexpanded, as GitLab passes it), or the environment's external URL. */
  url?: string;
}

/** Which predefined variables to return. */
export type PredefinedPhase = "pre-pipeline" | "pipeline" | "job";

export interface PredefinedOptions {
  /**
   * `pre-pipeline`: only what `include:rules` can see. `pipeline` (default): also what job and
   * workflow `rules` can see. `job`: also the job-only variables of a running job
   * (`CI_PIPELINE_ID`, `CI_JOB_ID`, `CI_ENVIRONMENT_SLUG`, `CI_REPOSITORY_URL`, …).
   */
  phase?: PredefinedPhase;
  /** `CI_CONFIG_PATH`; GitLab's default is `.gitlab-ci.yml`. */
  configPath?: string;
  /** `CI_PIPELINE_NAME`: the expanded `workflow:name`, when the pipeline has one. */
  pipelineName?: string;
  /** `CI_COMMIT_TAG_MESSAGE`: the annotated tag's message (absent for a lightweight tag). */
  tagMessage?: string;
  /** `CI_OPEN_MERGE_REQUESTS`: references like `group/project!12` (GitLab lists up to four). */
  openMergeRequests?: readonly string[];
  /** `CI_PIPELINE_SCHEDULE_DESCRIPTION` for a scheduled pipeline. */
  scheduleDescription?: string;
  /** `CI_SERVER_NAME`; GitLab sets `GitLab`, kept by default for scripts that test it. */
  serverName?: string;
  /** `CI_SERVER_VERSION` (and `_MAJOR`, `_MINOR`, `_PATCH`), e.g. `17.2.1`. */
  serverVersion?: string;
  /** `CI_TEMPLATE_REGISTRY_HOST`; GitLab's default is `registry.gitlab.com`. */
  templateRegistryHost?: string;
}

const PHASES: Record<PredefinedPhase, ReadonlySet<Availability>> = {
  "pre-pipeline": new Set(["pre-pipeline"]),
  pipeline: new Set(["pre-pipeline", "pipeline"]),
  job: new Set(["pre-pipeline", "pipeline", "job-only"]),
};

/**
 * The predefined variables GitLab gives a pipeline (and, with `job`, one job of it) for
 * `event`, in GitLab's order, each marked with its availability and a predefined source slot.
 * Without `job`, only pipeline-wide variables are returned (what `workflow:rules` and
 * `include:rules` see).
 */
export function predefinedVariables(
  event: PipelineEvent,
  job?: JobInfo,
  options: PredefinedOptions = {},
): Variable[] {
  const wanted = PHASES[options.phase ?? "pipeline"];
  const b = new PredefinedBuilder();

  b.source = "predefined-runtime";
  runtimeVariables(b, event, job);
  b.source = "predefined";
  if (job) jobVariables(b, event, job);
  projectVariables(b, event, options);
  pipelineVariables(b, event, options);
  b.source = "predefined-user";
  userVariables(b, event);
  if (job?.environment?.name) {
    b.source = "predefined-environment";
    b.add("CI_ENVIRONMENT_SLUG", environmentSlug(job.environment.name), "job-only");
    b.add("CI_ENVIRONMENT_URL", job.environment.url, "job-only");
  }
  return ofPhase(b.out, wanted);
}

/**
 * Just the job-level predefined variables (`CI_JOB_NAME`, `CI_JOB_STAGE`, `CI_NODE_*`, …) of
 * `predefinedVariables(event, job, options)`: a planner computes the pipeline-wide ones once
 * and adds these per job, instead of rebuilding every project and pipeline variable per job.
 */
export function jobPredefinedVariables(
  event: PipelineEvent,
  job: JobInfo,
  options: Pick<PredefinedOptions, "phase"> = {},
): Variable[] {
  const wanted = PHASES[options.phase ?? "pipeline"];
  const b = new PredefinedBuilder();
  b.source = "predefined";
  jobVariables(b, event, job);
  return ofPhase(b.out, wanted);
}

/** `variables` without those of a later phase than `wanted`: the same list when none is. */
function ofPhase(variables: Variable[], wanted: ReadonlySet<Availability>): Variable[] {
  for (let i = 0; i < variables.length; i++) {
    if (!wanted.has((variables[i] as Variable).availability!)) {
      return variables.filter((variable) => wanted.has(variable.availability!));
    }
  }
  return variables;
}

/**
 * Variables of a persisted pipeline and job (`Ci::Build#persisted_variables`): GitLab puts them
 * first, below everything else, and only a running job has them.
 */
function runtimeVariables(
  b: PredefinedBuilder,
  event: PipelineEvent,
  job: JobInfo | undefined,
): void {
  const projectUrl = projectWebUrl(event);
  if (event.pipelineId !== undefined) {
    b.add("CI_PIPELINE_ID", String(event.pipelineId), "job-only");
    b.add("CI_PIPELINE_URL", `${projectUrl}/-/pipelines/${event.pipelineId}`, "job-only");
  }
  if (job?.id !== undefined) {
    b.add("CI_JOB_ID", String(job.id), "job-only");
    b.add("CI_JOB_URL", `${projectUrl}/-/jobs/${job.id}`, "job-only");
  }
  if (job) {
    // GitLab's value embeds the job token (`https://gitlab-ci-token:TOKEN@host/path.git`);
    // at plan time there is no token, so the URL is given without credentials.
    b.add("CI_REPOSITORY_URL", `${serverBase(event)}/${event.project.path}.git`, "job-only", {
      public: false,
    });
  }
}

/** `CI_JOB_*`, `CI_NODE_*`, `CI_ENVIRONMENT_*` (Builder#predefined_variables_from_job_attr). */
function jobVariables(b: PredefinedBuilder, event: PipelineEvent, job: JobInfo): void {
  b.add("CI_JOB_NAME", job.name, "pipeline");
  b.add("CI_JOB_NAME_SLUG", slugify(job.name), "pipeline");
  b.add("CI_JOB_STAGE", job.stage, "pipeline");
  if (job.when === "manual" || job.when === "delayed") b.add("CI_JOB_MANUAL", "true", "pipeline");
  if (event.source === "trigger") b.add("CI_PIPELINE_TRIGGERED", "true", "pipeline");
  if (job.nodeIndex !== undefined) b.add("CI_NODE_INDEX", String(job.nodeIndex), "pipeline");
  b.add("CI_NODE_TOTAL", String(job.nodeTotal ?? 1), "pipeline");
  const environment = job.environment;
  if (environment?.name) {
    b.add("CI_ENVIRONMENT_NAME", environment.name, "pipeline");
    b.add("CI_ENVIRONMENT_ACTION", environment.action ?? "start", "pipeline");
    b.add("CI_ENVIRONMENT_TIER", environment.tier, "pipeline");
    b.add("CI_ENVIRONMENT_URL", environment.url, "pipeline");
  }
}

/** `CI`, `GITLAB_CI`, `CI_SERVER_*`, `CI_PROJECT_*`, `CI_DEFAULT_BRANCH`, `CI_API_*`. */
function projectVariables(
  b: PredefinedBuilder,
  event: PipelineEvent,
  options: PredefinedOptions,
): void {
  const project = event.project;
  const server = serverParts(event);
  const segments = project.path.split("/");
  b.add("CI", "true", "pre-pipeline");
  // Conveyor keeps GitLab's flag: scripts and templates test `$GITLAB_CI`.
  b.add("GITLAB_CI", "true", "pre-pipeline");
  b.add("CI_SERVER_FQDN", server.fqdn, "pre-pipeline");
  b.add("CI_SERVER_URL", server.url, "pre-pipeline");
  b.add("CI_SERVER_HOST", server.host, "pre-pipeline");
  b.add("CI_SERVER_PORT", server.port, "pre-pipeline");
  b.add("CI_SERVER_PROTOCOL", server.protocol, "pre-pipeline");
  b.add("CI_SERVER_NAME", options.serverName ?? "GitLab", "pre-pipeline");
  if (options.serverVersion !== undefined) {
    const [major, minor, patch] = options.serverVersion.split(/[.-]/);
    b.add("CI_SERVER_VERSION", options.serverVersion, "pre-pipeline");
    b.add("CI_SERVER_VERSION_MAJOR", major, "pre-pipeline");
    b.add("CI_SERVER_VERSION_MINOR", minor, "pre-pipeline");
    b.add("CI_SERVER_VERSION_PATCH", patch, "pre-pipeline");
  }
  b.add("CI_PROJECT_ID", String(project.id), "pre-pipeline");
  b.add("CI_PROJECT_NAME", segments.at(-1), "pre-pipeline");
  b.add("CI_PROJECT_TITLE", project.title ?? segments.at(-1), "pre-pipeline");
  b.add("CI_PROJECT_PATH", project.path, "pre-pipeline");
  b.add("CI_PROJECT_PATH_SLUG", slugify(project.path), "pre-pipeline");
  b.add("CI_PROJECT_NAMESPACE", segments.slice(0, -1).join("/"), "pre-pipeline");
  b.add("CI_PROJECT_ROOT_NAMESPACE", segments[0], "pre-pipeline");
  b.add("CI_PROJECT_URL", projectWebUrl(event), "pre-pipeline");
  b.add("CI_PROJECT_VISIBILITY", project.visibility, "pre-pipeline");
  b.add("CI_DEFAULT_BRANCH", project.defaultBranch, "pre-pipeline");
  b.add("CI_CONFIG_PATH", options.configPath ?? ".gitlab-ci.yml", "pre-pipeline");
  b.add("CI_API_V4_URL", `${server.url}/api/v4`, "pre-pipeline");
  b.add("CI_API_GRAPHQL_URL", `${server.url}/api/graphql`, "pre-pipeline");
  b.add(
    "CI_TEMPLATE_REGISTRY_HOST",
    options.templateRegistryHost ?? "registry.gitlab.com",
    "pre-pipeline",
  );
}

/** `GITLAB_USER_*`: the user who started the pipeline (Builder#user_variables). */
function userVariables(b: PredefinedBuilder, event: PipelineEvent): void {
  const user = event.user;
  if (!user) return;
  b.add("GITLAB_USER_ID", String(user.id), "pipeline");
  b.add("GITLAB_USER_EMAIL", user.email, "pipeline");
  b.add("GITLAB_USER_LOGIN", user.login, "pipeline");
  b.add("GITLAB_USER_NAME", user.name, "pipeline");
}
