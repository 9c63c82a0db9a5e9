/**
 * The job as it travels to a runner: GitLab's `POST /api/v4/jobs/request` 201 body, field for
 * field (snake_case on the wire). Conveyor's local `conveyor run` hands runners the same object.
 * Facts from ../shared/specs/runner-protocol.md §3 (GitLab `lib/api/entities/ci/job_request/*`,
 * gitlab-runner `common/spec/spec.go`). Unknown fields are ignored by both sides.
 */

/** §3.3: one job variable. `file` and `raw` are present only when true. */
export interface JobVariable {
  key: string;
  value: string;
  /** Safe to show (predefined variables); false for secrets. */
  public: boolean;
  /** The runner hides the value in the log. */
  masked?: boolean;
  /** The runner writes the value to a file and sets the variable to the file's path. */
  file?: boolean;
  /** The runner does not expand `$VAR` inside the value. */
  raw?: boolean;
}

export type StepWhen = "on_success" | "on_failure" | "always";

/** §3.4: `script` (before_script + script), `release`, `after_script`. */
export interface JobStep {
  name: string;
  script: string[];
  /** Seconds. */
  timeout: number;
  when: StepWhen;
  allow_failure: boolean;
}

export type PullPolicy = "always" | "if-not-present" | "never";

/** §3.5 */
export interface JobImage {
  name: string;
  entrypoint?: string[] | null;
  ports?: { number: number; protocol?: string; name?: string }[];
  pull_policy?: PullPolicy[] | null;
  executor_opts?: { docker?: { platform?: string; user?: string }; kubernetes?: { user?: string } };
}

export interface JobService extends JobImage {
  /** One alias, or several separated by commas or spaces. */
  alias?: string | null;
  command?: string[] | null;
  variables?: { key: string; value: string }[];
}

export type ArtifactWhen = "on_success" | "on_failure" | "always";

/** §3.6: one entry for the archive, one per report. */
export interface JobArtifact {
  name: string;
  untracked?: boolean;
  paths: string[];
  exclude?: string[];
  when: ArtifactWhen;
  expire_in?: string | null;
  /** `archive` for the main archive, else the report type (`junit`, `dotenv`, …). */
  artifact_type: string;
  artifact_format: "zip" | "gzip" | "raw";
}

export type CachePolicy = "pull-push" | "pull" | "push";

/** §3.7 */
export interface JobCache {
  key: string;
  untracked?: boolean;
  paths: string[];
  policy: CachePolicy;
  when: ArtifactWhen;
  fallback_keys?: string[];
}

/** §3.9: a job whose artifacts this job downloads. */
export interface JobDependency {
  id: number;
  name: string;
  token: string;
  /** Present only when the job has artifacts; an empty filename means none. */
  artifacts_file?: { filename: string; size: number };
}

export interface GitInfo {
  repo_url: string;
  ref: string;
  sha: string;
  before_sha: string;
  ref_type: "branch" | "tag";
  refspecs: string[];
  /** `GIT_DEPTH`; 0 is a full clone. */
  depth: number;
  repo_object_format?: "sha1" | "sha256";
  protected?: boolean | null;
}

export interface JobInfo {
  id?: number;
  name: string;
  stage: string;
  pipeline_id: number;
  project_id: number;
  project_name: string;
  project_full_path?: string;
}

export interface RunnerInfo {
  /** Seconds; the runner uses 7200 when ≤ 0. */
  timeout: number;
  uuid?: string;
  runner_session_url?: string | null;
}

export interface JobPayload {
  id: number;
  token: string;
  allow_git_fetch: boolean;
  job_info: JobInfo;
  git_info: GitInfo;
  runner_info: RunnerInfo;
  variables: JobVariable[];
  steps: JobStep[];
  hooks?: { name: "pre_get_sources_script" | "post_get_sources_script"; script: string[] }[];
  image?: JobImage | null;
  services?: JobService[];
  artifacts?: JobArtifact[] | null;
  cache?: JobCache[];
  credentials?: { type: string; url: string; username: string; password: string }[];
  dependencies?: JobDependency[];
  features?: { trace_sections?: boolean; failure_reasons?: string[] };
}
