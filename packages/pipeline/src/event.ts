/**
 * What started a pipeline. Everything the pipeline language needs to know about the world
 * (refs, commits, changed paths, repository files) arrives here as data: the language does no I/O.
 */

/** GitLab's `CI_PIPELINE_SOURCE` values. */
export const PIPELINE_SOURCES = [
  "push",
  "web",
  "api",
  "schedule",
  "trigger",
  "pipeline",
  "parent_pipeline",
  "merge_request_event",
  "external",
  "external_pull_request_event",
  "chat",
  "webide",
  "ondemand_dast_scan",
  "ondemand_dast_validation",
  "security_orchestration_policy",
] as const;
export type PipelineSource = (typeof PIPELINE_SOURCES)[number];

export interface RefInfo {
  kind: "branch" | "tag";
  name: string;
  /** Protected branches/tags see protected variables. */
  protected?: boolean;
}

export interface CommitInfo {
  sha: string;
  /** `CI_COMMIT_BEFORE_SHA`: forty zeros for a new branch or a non-push pipeline. */
  beforeSha?: string;
  message?: string;
  title?: string;
  description?: string;
  authorName?: string;
  authorEmail?: string;
  /** ISO 8601. */
  timestamp?: string;
}

export interface ProjectInfo {
  id: number;
  /** `group/sub/project`. */
  path: string;
  /** Display name; defaults to the last path segment. */
  title?: string;
  /** The server's base URL, e.g. `https://conveyor.example.test`. */
  serverUrl: string;
  defaultBranch: string;
  visibility?: "private" | "internal" | "public";
}

export interface MergeRequestInfo {
  iid: number;
  id?: number;
  title: string;
  description?: string;
  sourceBranch: string;
  targetBranch: string;
  sourceBranchSha?: string;
  targetBranchSha?: string;
  diffBaseSha?: string;
  labels?: string[];
  draft?: boolean;
  /** `detached` (the default), `merged_result` or `merge_train`. */
  eventType?: "detached" | "merged_result" | "merge_train";
  sourceProjectPath?: string;
  targetProjectPath?: string;
}

export interface PipelineEvent {
  source: PipelineSource;
  /** For merge request pipelines: the source branch. */
  ref: RefInfo;
  commit: CommitInfo;
  project: ProjectInfo;
  mergeRequest?: MergeRequestInfo;
  /** Variables given for this pipeline only (Run pipeline form, API, trigger, `--var`). */
  variables?: Record<string, string>;
  /**
   * Paths changed by the push (or by the merge request). `undefined` means GitLab cannot
   * know them (a new branch, a tag, a schedule, a web/api pipeline): `rules:changes` and
   * `only:changes` are then true, as GitLab documents.
   */
  changedPaths?: readonly string[];
  /** Every path in the repository at `commit.sha`, for `rules:exists`. */
  repositoryFiles?: readonly string[];
  pipelineId?: number;
  pipelineIid?: number;
  /** ISO 8601 creation time; from the injected clock. */
  createdAt?: string;
  user?: { id: number; login: string; name: string; email: string };
}
