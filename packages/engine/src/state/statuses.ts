/**
 * Job and pipeline statuses in GitLab's words, and the groups GitLab sorts them into
 * (`Ci::HasStatus`, app/models/concerns/ci/has_status.rb).
 */

/** A job's status (`Ci::HasStatus::AVAILABLE_STATUSES`, less `preparing`/`waiting_for_callback`). */
export type JobStatus =
  | "created"
  | "waiting_for_resource"
  | "pending"
  | "running"
  | "success"
  | "failed"
  | "canceling"
  | "canceled"
  | "skipped"
  | "manual"
  | "scheduled";

/**
 * A pipeline's (or stage's) status: what `Gitlab::Ci::Status::Composite` yields for our jobs.
 * GitLab stores a pipeline that waits on a blocking manual job as `manual` and shows it as
 * "blocked"; see `pipelineStatusText`.
 */
export type PipelineStatus = JobStatus;

/** Finished for good (`COMPLETED_STATUSES`). */
export const COMPLETED_STATUSES: ReadonlySet<string> = new Set([
  "success",
  "failed",
  "canceled",
  "skipped",
]);

/** Waiting for a person or a clock (`BLOCKED_STATUS`). */
export const BLOCKED_STATUSES: ReadonlySet<string> = new Set(["manual", "scheduled"]);

/** Has run or is running (`STARTED_STATUSES`). */
export const STARTED_STATUSES: ReadonlySet<string> = new Set(["running", "success", "failed"]);

/** What a cancel turns into `canceled`/`canceling` (`CANCELABLE_STATUSES`): not manual jobs. */
export const CANCELABLE_STATUSES: ReadonlySet<string> = new Set([
  "created",
  "waiting_for_resource",
  "pending",
  "running",
  "scheduled",
]);

/** A job a retry may start again (`Ci::Build#retryable?`). */
export const RETRYABLE_STATUSES: ReadonlySet<string> = new Set([
  "success",
  "failed",
  "canceled",
  "canceling",
]);

/** The failure kinds that may still pass with warnings under `allow_failure` (`PASSED_WITH_WARNINGS_STATUSES`). */
export const PASSED_WITH_WARNINGS_STATUSES: ReadonlySet<string> = new Set(["failed", "canceled"]);

/** The statuses `allow_failure` makes count as nothing at all (`IGNORED_STATUSES`). */
export const IGNORED_STATUSES: ReadonlySet<string> = new Set(["manual"]);

/**
 * The text GitLab's UI shows for a pipeline status (`Gitlab::Ci::Status::Pipeline::Factory`):
 * `manual` reads "blocked" (Status::Pipeline::Blocked), `scheduled` reads "delayed"
 * (Status::Pipeline::Delayed), `success` with warnings reads "passed with warnings".
 */
export function pipelineStatusText(status: PipelineStatus, warnings: boolean): string {
  switch (status) {
    case "success":
      return warnings ? "passed with warnings" : "passed";
    case "manual":
      return "blocked";
    case "scheduled":
      return "delayed";
    case "waiting_for_resource":
      return "waiting";
    default:
      return status;
  }
}
