/**
 * Auto-cancel of a redundant pipeline when a newer one starts for the same ref
 * (`workflow:auto_cancel:on_new_commit`). Only a pipeline that is still cancelable (created,
 * waiting, pending, running or scheduled — not blocked on a manual job, not finished) is
 * touched. `conservative` (the default) cancels the whole pipeline unless some job with
 * `interruptible: false` has started (running, success or failed, retried attempts included);
 * `interruptible` cancels only the jobs with `interruptible: true`; `none` cancels nothing.
 * Sources: https://docs.gitlab.com/ci/yaml/#workflowauto_cancelon_new_commit ,
 * app/services/ci/pipeline_creation/cancel_redundant_pipelines_service.rb,
 * app/services/ci/cancel_pipeline_service.rb (`safe_cancellation`), Ci::Pipeline
 * `conservative_interruptible`.
 */
import type { JobRecord } from "./job-record.js";
import { CANCELABLE_STATUSES, type PipelineStatus, STARTED_STATUSES } from "./statuses.js";
import type { AutoCancelMode } from "./types.js";

/** The jobs to cancel; empty when the pipeline is left alone. */
export function autoCancelScope(
  mode: AutoCancelMode,
  pipelineStatus: PipelineStatus,
  records: readonly JobRecord[],
): JobRecord[] {
  if (!CANCELABLE_STATUSES.has(pipelineStatus)) return [];
  switch (mode) {
    case "none":
      return [];
    case "interruptible":
      return records.filter((record) => record.settings.interruptible);
    case "conservative": {
      const startedNonInterruptible = records.some(
        (record) =>
          !record.settings.interruptible &&
          record.attempts.some((attempt) => STARTED_STATUSES.has(attempt.status)),
      );
      return startedNonInterruptible ? [] : [...records];
    }
  }
}

/** Reads `workflow:auto_cancel` from the plan: `on_new_commit` and `on_job_failure`. */
export function autoCancelConfig(autoCancel: Record<string, unknown> | undefined): {
  onNewCommit: AutoCancelMode;
  onJobFailure: "all" | "none";
} {
  const onNewCommit = autoCancel?.on_new_commit;
  return {
    onNewCommit:
      onNewCommit === "interruptible" || onNewCommit === "none" ? onNewCommit : "conservative",
    onJobFailure: autoCancel?.on_job_failure === "all" ? "all" : "none",
  };
}
