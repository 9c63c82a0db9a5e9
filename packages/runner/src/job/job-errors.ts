/**
 * How a job ends, and how that ending is written to the log and reported: the final
 * `Job succeeded` / `ERROR: Job failed: …` line and the JobResult with GitLab's failure reason
 * (gitlab-runner `common/build.go` `setTraceStatus`, `runtimeStateAndError`,
 * `ensureSupportedFailureReason`; spec runner-protocol.md §5). Pure.
 */
import type { FailureReason, JobPayload, JobResult } from "@conveyor/protocol";
import type { JobStatus } from "../script/variables.js";
import { formatGoDuration } from "./durations.js";

export type JobError =
  /** A script (or git during get_sources) exited non-zero. */
  | { kind: "exit"; exitCode: number; message: string }
  /** A failure with its own reason (missing dependency, failed upload, …). */
  | { kind: "failure"; reason: FailureReason; message: string; exitCode?: number }
  /** The runner or executor could not do its part. */
  | { kind: "system"; message: string }
  /** A cancel request stopped the job. */
  | { kind: "canceled" }
  /** The job ran past its timeout. */
  | { kind: "timeout"; timeoutMs: number }
  /** The script ran past `RUNNER_SCRIPT_TIMEOUT`. */
  | { kind: "script-timeout" };

/** How an executor describes an exit (the shell executor reports Go's `exit status N`). */
export function exitMessage(executorName: string, exitCode: number): string {
  return executorName === "shell" ? `exit status ${exitCode}` : `exit code ${exitCode}`;
}

/** `CI_JOB_STATUS` for after_script. */
export function statusOf(error: JobError | undefined): JobStatus {
  if (!error) return "success";
  if (error.kind === "canceled") return "canceled";
  if (error.kind === "timeout" || error.kind === "script-timeout") return "timedout";
  return "failed";
}

/** The text after `Job failed: ` (or `Job failed (system failure): `). */
export function failureText(error: JobError): string {
  switch (error.kind) {
    case "exit":
    case "failure":
    case "system":
      return error.message;
    case "canceled":
      return "canceled";
    case "timeout":
      return `execution took longer than ${formatGoDuration(error.timeoutMs)} seconds`;
    case "script-timeout":
      return "script timeout: context deadline exceeded";
  }
}

/** Reasons GitLab always accepts (runner `ensureSupportedFailureReason`). */
const ALWAYS_SUPPORTED: readonly FailureReason[] = [
  "script_failure",
  "runner_system_failure",
  "job_execution_timeout",
];

function supported(reason: FailureReason, payload: JobPayload): FailureReason {
  const listed = payload.features?.failure_reasons;
  if (listed === undefined || listed.length === 0) return reason;
  return ALWAYS_SUPPORTED.includes(reason) || listed.includes(reason) ? reason : "unknown_failure";
}

/** The JobResult for how the job ended. */
export function jobResultOf(error: JobError | undefined, payload: JobPayload): JobResult {
  if (!error) return { state: "success" };
  switch (error.kind) {
    case "exit":
      return { state: "failed", failure_reason: "script_failure", exit_code: error.exitCode };
    case "failure": {
      const result: JobResult = {
        state: "failed",
        failure_reason: supported(error.reason, payload),
      };
      if (error.exitCode !== undefined) result.exit_code = error.exitCode;
      return result;
    }
    case "system":
      return { state: "failed", failure_reason: "runner_system_failure" };
    case "canceled":
      // The runner's job_canceled reason is not one GitLab knows: it becomes unknown_failure.
      return { state: "failed", failure_reason: "unknown_failure", canceled: true };
    case "timeout":
    case "script-timeout":
      return { state: "failed", failure_reason: "job_execution_timeout" };
  }
}
