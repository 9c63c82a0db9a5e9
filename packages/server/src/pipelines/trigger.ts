/**
 * From "something happened to a project" (a push of a branch or tag, an API or web request, a
 * trigger token, a schedule) to a stored, started pipeline: read `.gitlab-ci.yml` at the
 * commit, plan it with the pipeline language exactly as `conveyor plan` does, and hand the plan
 * to the coordinator. A push also auto-cancels older pipelines of the same branch (GitLab's
 * "Auto-cancel redundant pipelines", on by default; docs: ci/pipelines/settings).
 */
import {
  type ConfigSource,
  loadPipeline,
  type PipelineEvent,
  type PipelineSource,
  planLoaded,
} from "@conveyor/pipeline";
import type { PipelineRecord, ProjectRecord, UserRecord } from "../store/types.js";
import type { Coordinator } from "./coordinator.js";

export const CONFIG_FILE = ".gitlab-ci.yml";
export const ZERO_SHA = "0000000000000000000000000000000000000000";

/** What pipeline creation reads from a project's repository at a commit. */
export interface CommitReader {
  readFile(sha: string, path: string): Promise<string | undefined>;
  listFiles(sha: string): Promise<string[]>;
  /** undefined when they cannot be known (no previous commit). */
  changedPaths(before: string, after: string): Promise<string[] | undefined>;
  commit(sha: string): Promise<CommitFacts | undefined>;
  configSource(sha: string): ConfigSource;
}

export interface CommitFacts {
  message: string;
  authorName: string;
  authorEmail: string;
  /** ISO 8601. */
  timestamp: string;
}

export interface TriggerRequest {
  project: ProjectRecord;
  source: PipelineSource;
  ref: { kind: "branch" | "tag"; name: string };
  sha: string;
  beforeSha?: string;
  variables?: Record<string, string>;
  user?: UserRecord;
}

export interface TriggerContext {
  coordinator: Coordinator;
  serverUrl: string;
  clock: () => number;
  /** Refs whose pipelines see protected variables. */
  isProtected: (project: ProjectRecord, ref: { kind: "branch" | "tag"; name: string }) => boolean;
}

export type TriggerOutcome =
  { created: true; pipeline: PipelineRecord } | { created: false; reason: string };

export async function triggerPipeline(
  context: TriggerContext,
  repository: CommitReader,
  request: TriggerRequest,
): Promise<TriggerOutcome> {
  const { project, sha } = request;
  const text = await repository.readFile(sha, CONFIG_FILE);
  if (text === undefined) return { created: false, reason: `no ${CONFIG_FILE} at ${sha}` };
  const event = await eventOf(context, repository, request);
  const loaded = await loadPipeline(text, {
    file: CONFIG_FILE,
    source: repository.configSource(sha),
    event,
  });
  const plan = planLoaded(loaded, event);
  const pipeline = await context.coordinator.create({
    projectId: project.id,
    ref: request.ref.name,
    tag: request.ref.kind === "tag",
    sha,
    beforeSha: request.beforeSha ?? ZERO_SHA,
    source: request.source,
    event,
    plan,
    createdAt: context.clock(),
    ...(request.user ? { userId: request.user.id } : {}),
  });
  if (!pipeline) return { created: false, reason: plan.reason ?? "no pipeline" };
  if (request.source === "push" && request.ref.kind === "branch") {
    await autoCancelOlder(context, pipeline);
  }
  return { created: true, pipeline };
}

async function eventOf(
  context: TriggerContext,
  repository: CommitReader,
  request: TriggerRequest,
): Promise<PipelineEvent> {
  const { project, sha } = request;
  const before = request.beforeSha ?? ZERO_SHA;
  const [commit, files, changed] = await Promise.all([
    repository.commit(sha),
    repository.listFiles(sha),
    request.source === "push" && before !== ZERO_SHA && request.ref.kind === "branch"
      ? repository.changedPaths(before, sha)
      : Promise.resolve(undefined),
  ]);
  const title = commit?.message.split("\n", 1)[0];
  return {
    source: request.source,
    ref: {
      kind: request.ref.kind,
      name: request.ref.name,
      protected: context.isProtected(project, request.ref),
    },
    commit: {
      sha,
      beforeSha: before,
      ...(commit
        ? {
            message: commit.message,
            title,
            description: commit.message.slice((title ?? "").length).replace(/^\n+/, ""),
            authorName: commit.authorName,
            authorEmail: commit.authorEmail,
            timestamp: commit.timestamp,
          }
        : {}),
    },
    project: {
      id: project.id,
      path: project.path,
      title: project.name,
      serverUrl: context.serverUrl,
      defaultBranch: project.defaultBranch,
      visibility: project.visibility,
    },
    ...(request.variables && Object.keys(request.variables).length > 0
      ? { variables: request.variables }
      : {}),
    ...(changed ? { changedPaths: changed } : {}),
    repositoryFiles: files,
    createdAt: new Date(context.clock()).toISOString(),
    ...(request.user
      ? {
          user: {
            id: request.user.id,
            login: request.user.username,
            name: request.user.name,
            email: request.user.email,
          },
        }
      : {}),
  };
}

/** Older pipelines of the branch get the engine's `auto-cancel` (the plan says how far). */
async function autoCancelOlder(context: TriggerContext, pipeline: PipelineRecord): Promise<void> {
  const { coordinator } = context;
  const older = coordinator
    .activeOn(pipeline.projectId, pipeline.ref)
    .filter((other) => other.id < pipeline.id && !other.tag);
  for (const other of older) {
    await coordinator.apply(other.id, { type: "auto-cancel", now: context.clock() });
  }
}
