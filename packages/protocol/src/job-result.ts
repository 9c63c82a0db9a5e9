/**
 * What a runner reports when a job ends: GitLab's `PUT /api/v4/jobs/:id` final states and
 * failure reasons (../shared/specs/runner-protocol.md §5).
 */

export type FinalJobState = "success" | "failed";

/** §5.2: the failure reasons GitLab accepts from runners. */
export const FAILURE_REASONS = [
  "unknown_failure",
  "script_failure",
  "api_failure",
  "stuck_or_timeout_failure",
  "runner_system_failure",
  "missing_dependency_failure",
  "runner_unsupported",
  "job_execution_timeout",
  "archived_failure",
  "unmet_prerequisites",
  "scheduler_failure",
  "data_integrity_failure",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface JobResult {
  state: FinalJobState;
  /** Set when `state` is `failed`. */
  failure_reason?: FailureReason;
  /** The script's exit code, when a script ran and exited. */
  exit_code?: number;
  /** The run was stopped by a cancel request (the job's status becomes `canceled`). */
  canceled?: boolean;
}
