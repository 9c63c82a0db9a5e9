/**
 * Records as GitLab's REST API shows them (docs: api/projects, api/pipelines, api/jobs): field
 * names, ISO 8601 times, `web_url`s. Pure functions of the records and the server's URL.
 */
import type {
  JobRecord,
  PipelineRecord,
  ProjectRecord,
  RunnerRecord,
  UserRecord,
} from "../store/types.js";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const seconds = (from: number | undefined, to: number | undefined) =>
  from === undefined || to === undefined ? null : (to - from) / 1000;

export function projectEntity(project: ProjectRecord, serverUrl: string) {
  const namespace = project.path.split("/").slice(0, -1).join("/");
  return {
    id: project.id,
    name: project.name,
    path: project.path.split("/").at(-1),
    path_with_namespace: project.path,
    name_with_namespace: project.path.split("/").join(" / "),
    description: project.description,
    default_branch: project.defaultBranch,
    visibility: project.visibility,
    namespace: { name: namespace, path: namespace, full_path: namespace, kind: "user" },
    created_at: iso(project.createdAt),
    web_url: `${serverUrl}/${project.path}`,
    http_url_to_repo: `${serverUrl}/${project.path}.git`,
  };
}

export function userEntity(user: UserRecord, serverUrl: string) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: "active",
    web_url: `${serverUrl}/${user.username}`,
  };
}

export function pipelineEntity(
  pipeline: PipelineRecord,
  project: ProjectRecord,
  serverUrl: string,
) {
  return {
    id: pipeline.id,
    iid: pipeline.iid,
    project_id: pipeline.projectId,
    sha: pipeline.sha,
    before_sha: pipeline.beforeSha,
    ref: pipeline.ref,
    tag: pipeline.tag,
    status: pipeline.status,
    source: pipeline.source,
    name: pipeline.plan.name ?? null,
    yaml_errors:
      pipeline.plan.errors.length > 0
        ? pipeline.plan.errors.map((e) => e.message).join("; ")
        : null,
    created_at: iso(pipeline.createdAt),
    updated_at: iso(pipeline.updatedAt),
    started_at: iso(pipeline.startedAt),
    finished_at: iso(pipeline.finishedAt),
    duration: seconds(pipeline.startedAt, pipeline.finishedAt),
    web_url: `${serverUrl}/${project.path}/-/pipelines/${pipeline.id}`,
  };
}

export function jobEntity(
  job: JobRecord,
  pipeline: PipelineRecord,
  project: ProjectRecord,
  serverUrl: string,
  runner?: RunnerRecord,
) {
  return {
    id: job.id,
    name: job.name,
    stage: job.stage,
    status: job.status,
    ref: pipeline.ref,
    tag: pipeline.tag,
    allow_failure: job.allowFailure,
    retried: job.retried,
    failure_reason: job.failureReason ?? null,
    created_at: iso(job.createdAt),
    queued_at: iso(job.queuedAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    duration: seconds(job.startedAt, job.finishedAt),
    queued_duration: seconds(job.queuedAt, job.startedAt),
    tag_list: job.tags,
    pipeline: {
      id: pipeline.id,
      iid: pipeline.iid,
      project_id: pipeline.projectId,
      ref: pipeline.ref,
      sha: pipeline.sha,
      status: pipeline.status,
    },
    commit: { id: pipeline.sha, short_id: pipeline.sha.slice(0, 8) },
    runner: runner
      ? { id: runner.id, description: runner.description, active: !runner.paused }
      : null,
    web_url: `${serverUrl}/${project.path}/-/jobs/${job.id}`,
  };
}
