/**
 * From a planned job to the JobPayload a runner executes (GitLab's `jobs/request` answer,
 * runner protocol §3): the server compiles, the runner only executes. Pure: everything about
 * the world (ids, tokens, the repository URL, dependencies and their dotenv variables, the
 * digest behind `cache:key:files`) comes in as data.
 */
import { isMap, type PipelineEvent, type PlannedJob } from "@conveyor/pipeline";
import type { JobDependency, JobPayload, JobStep, JobVariable } from "@conveyor/protocol";
import { artifactsOf } from "./artifacts.js";
import { cachesOf } from "./cache.js";
import { imageOf, servicesOf } from "./image.js";
import { scriptLines } from "./keyword-values.js";
import { resolveJobVariables } from "./variables.js";

/** GitLab's default project setting for `GIT_DEPTH` ("Git shallow clone": 20 commits). */
export const DEFAULT_GIT_DEPTH = 20;
/** Zeros: no previous commit (`CI_COMMIT_BEFORE_SHA` of a new branch). */
const BLANK_SHA = "0000000000000000000000000000000000000000";

export interface PayloadDependency extends JobDependency {
  /** Its `artifacts:reports:dotenv` variables, which this job inherits. */
  dotenv?: readonly { key: string; value: string }[];
}

export interface PayloadInputs {
  /** The pipeline's event; `pipelineId` should be set. */
  event: PipelineEvent;
  job: PlannedJob;
  jobId: number;
  /** The job token (`CI_JOB_TOKEN`); masked in the job's log. */
  token: string;
  /** Where the runner clones from. */
  repoUrl: string;
  /** Seconds (`timeout:` or the project's default). */
  timeoutSeconds: number;
  /** The jobs whose artifacts this job downloads, in order. */
  dependencies: readonly PayloadDependency[];
  /** For `cache:key:files`; see CacheKeyInputs. */
  filesDigest?: (files: string[]) => string | undefined;
  /** Further secret variables (project/instance secrets). */
  secrets?: readonly JobVariable[];
  /** Runner's features the server shares (`trace_sections`). */
  traceSections?: boolean;
}

export function buildJobPayload(inputs: PayloadInputs): JobPayload {
  const { event, job } = inputs;
  const def = job.definition;
  const token: JobVariable = {
    key: "CI_JOB_TOKEN",
    value: inputs.token,
    public: false,
    masked: true,
  };
  const resolved = resolveJobVariables({
    event,
    job,
    jobId: inputs.jobId,
    dotenv: inputs.dependencies.flatMap((dependency) => dependency.dotenv ?? []),
    secrets: [token, ...(inputs.secrets ?? [])],
  });
  const { expand } = resolved;
  const variable = (key: string) => resolved.variables.findLast((v) => v.key === key)?.value;
  const givenDepth = Number.parseInt(variable("GIT_DEPTH") ?? "", 10);
  const depth = Number.isNaN(givenDepth) ? DEFAULT_GIT_DEPTH : givenDepth;

  const payload: JobPayload = {
    id: inputs.jobId,
    token: inputs.token,
    allow_git_fetch: true,
    job_info: {
      id: inputs.jobId,
      name: job.name,
      stage: job.stage,
      pipeline_id: event.pipelineId ?? 0,
      project_id: event.project.id,
      project_name: event.project.title ?? event.project.path.split("/").at(-1) ?? "",
      project_full_path: event.project.path,
    },
    git_info: {
      repo_url: inputs.repoUrl,
      ref: event.ref.name,
      sha: event.commit.sha,
      before_sha: event.commit.beforeSha ?? BLANK_SHA,
      ref_type: event.ref.kind,
      refspecs: refspecs(event, depth),
      depth,
      repo_object_format: event.commit.sha.length === 64 ? "sha256" : "sha1",
      protected: event.ref.protected === true,
    },
    runner_info: { timeout: inputs.timeoutSeconds },
    variables: resolved.variables,
    steps: steps(def, inputs.timeoutSeconds),
    image: imageOf(def.image, expand),
    services: servicesOf(def.services, expand),
    artifacts: artifactsOf(def.artifacts, expand),
    cache: cachesOf(def.cache, {
      expand,
      filesDigest: inputs.filesDigest ?? (() => undefined),
      protectedRef: event.ref.protected === true,
    }),
    dependencies: inputs.dependencies.map(({ dotenv: _dotenv, ...dependency }) => dependency),
    features: { trace_sections: inputs.traceSections ?? true },
  };
  const hooks = isMap(def.hooks) ? scriptLines(def.hooks.pre_get_sources_script) : [];
  if (hooks.length > 0) payload.hooks = [{ name: "pre_get_sources_script", script: hooks }];
  return payload;
}

/** `before_script` + `script` as one step, then `after_script` (GitLab `Gitlab::Ci::Build::Step`). */
function steps(def: Record<string, unknown>, timeout: number): JobStep[] {
  const out: JobStep[] = [
    {
      name: "script",
      script: [...scriptLines(def.before_script), ...scriptLines(def.script)],
      timeout,
      when: "on_success",
      allow_failure: false,
    },
  ];
  const after = scriptLines(def.after_script);
  if (after.length > 0) {
    out.push({ name: "after_script", script: after, timeout, when: "always", allow_failure: true });
  }
  return out;
}

/** GitLab's refspecs (`Ci::BuildRunnerPresenter#refspecs`), without the pipeline ref Conveyor does not keep. */
function refspecs(event: PipelineEvent, depth: number): string[] {
  if (depth === 0) return ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
  return event.ref.kind === "tag"
    ? [`+refs/tags/${event.ref.name}:refs/tags/${event.ref.name}`]
    : [`+refs/heads/${event.ref.name}:refs/remotes/origin/${event.ref.name}`];
}
