/**
 * The event of `conveyor plan`/`conveyor run` flags (and of the compatibility corpus's
 * `context.json`), turned into a PipelineEvent. Pure: the caller supplies what it learnt from
 * git (commit, files, remote); anything missing gets a stable placeholder.
 */
import type { MergeRequestInfo, PipelineEvent, PipelineSource } from "./event.js";
import { PIPELINE_SOURCES } from "./event.js";

export interface EventSpec {
  branch?: string;
  tag?: string;
  source?: string;
  defaultBranch?: string;
  variables?: Record<string, string>;
  /** Changed paths; absent means unknown (GitLab then treats `changes` as true). */
  changed?: readonly string[];
  /** Files in the repository (for `exists`). */
  files?: readonly string[];
  /** `group/project`. */
  project?: string;
  serverUrl?: string;
  sha?: string;
  beforeSha?: string;
  commitMessage?: string;
  commitAuthor?: { name: string; email: string };
  commitTimestamp?: string;
  mergeRequest?: Partial<MergeRequestInfo>;
  pipelineId?: number;
  pipelineIid?: number;
}

export const ZERO_SHA = "0000000000000000000000000000000000000000";
export const DEFAULT_PROJECT = "group/project";
export const DEFAULT_SERVER_URL = "https://conveyor.example.test";

export class EventSpecError extends Error {}

export function buildEvent(spec: EventSpec): PipelineEvent {
  if (spec.branch !== undefined && spec.tag !== undefined) {
    throw new EventSpecError("give either a branch or a tag, not both");
  }
  const source = (spec.source ?? "push") as PipelineSource;
  if (!PIPELINE_SOURCES.includes(source)) {
    throw new EventSpecError(
      `unknown pipeline source '${spec.source}'; one of: ${PIPELINE_SOURCES.join(", ")}`,
    );
  }
  const defaultBranch = spec.defaultBranch ?? "main";
  const ref =
    spec.tag !== undefined
      ? { kind: "tag" as const, name: spec.tag }
      : { kind: "branch" as const, name: spec.branch ?? defaultBranch };
  const message = spec.commitMessage ?? "Conveyor plan";
  const event: PipelineEvent = {
    source,
    ref,
    commit: {
      sha: spec.sha ?? ZERO_SHA,
      beforeSha: spec.beforeSha ?? ZERO_SHA,
      message,
      title: message.split("\n", 1)[0] ?? "",
      ...(spec.commitAuthor
        ? { authorName: spec.commitAuthor.name, authorEmail: spec.commitAuthor.email }
        : {}),
      ...(spec.commitTimestamp ? { timestamp: spec.commitTimestamp } : {}),
    },
    project: {
      id: 1,
      path: spec.project ?? DEFAULT_PROJECT,
      serverUrl: spec.serverUrl ?? DEFAULT_SERVER_URL,
      defaultBranch,
    },
    variables: spec.variables ?? {},
    pipelineId: spec.pipelineId ?? 1,
    pipelineIid: spec.pipelineIid ?? 1,
  };
  if (spec.changed !== undefined) event.changedPaths = spec.changed;
  if (spec.files !== undefined) event.repositoryFiles = spec.files;
  if (source === "merge_request_event") {
    const mr = spec.mergeRequest ?? {};
    event.mergeRequest = {
      iid: mr.iid ?? 1,
      title: mr.title ?? event.commit.title ?? "",
      sourceBranch: mr.sourceBranch ?? ref.name,
      targetBranch: mr.targetBranch ?? defaultBranch,
      ...mr,
    } as MergeRequestInfo;
    event.ref = { kind: "branch", name: event.mergeRequest.sourceBranch };
  }
  return event;
}
