/**
 * Whether a `created` job may move on, and where to: GitLab's atomic processing. A job that
 * follows stage order waits until every job of the earlier stages is complete and decides on
 * their composite status; a job with `needs` waits only for its needs and decides on theirs
 * (a skipped or ignored need counts as skipped). Then `when` decides: on_success (and manual,
 * delayed) needs success — or skipped, in stage order —, on_failure needs failed, always takes
 * success, failed or skipped; anything else skips the job.
 * Sources: app/services/ci/pipeline_processing/atomic_processing_service.rb (and its
 * status_collection.rb), app/services/ci/process_build_service.rb,
 * https://docs.gitlab.com/ci/yaml/#when , https://docs.gitlab.com/ci/yaml/#needs
 */
import type { JobWhen } from "@conveyor/pipeline";
import { compositeStatus } from "./composite.js";
import { currentAttempt, type JobRecord } from "./job-record.js";
import { COMPLETED_STATUSES, type PipelineStatus } from "./statuses.js";

/** The status a job's decision rests on; an empty set counts as success. */
export function previousStatus(record: JobRecord, records: readonly JobRecord[]): PipelineStatus {
  const needs = record.job.needs;
  const previous =
    needs === null
      ? records.filter((other) => other.stageIndex < record.stageIndex)
      : records.filter((other) => needs.includes(other.job.name));
  const entries = previous.map(currentAttempt);
  return compositeStatus(entries, { dag: needs !== null }).status ?? "success";
}

/** What happens to a `created` job, or `undefined` while what it waits on is not complete. */
export type ProcessOutcome = "skip" | "enqueue" | "schedule" | "manual";

export function processOutcome(input: {
  when: JobWhen;
  dag: boolean;
  previous: PipelineStatus;
  delayable: boolean;
  enqueueImmediately: boolean;
}): ProcessOutcome | undefined {
  if (!COMPLETED_STATUSES.has(input.previous)) return undefined;
  if (!validPrevious(input.when, input.dag).includes(input.previous)) return "skip";
  if (input.enqueueImmediately) return "enqueue";
  // `schedulable?` (delayed with a start_in), then `action?` (manual, or delayed without one).
  if (input.when === "delayed" && input.delayable) return "schedule";
  if (input.when === "manual" || input.when === "delayed") return "manual";
  return "enqueue";
}

function validPrevious(when: JobWhen, dag: boolean): readonly string[] {
  switch (when) {
    case "on_success":
    case "manual":
    case "delayed":
      return dag ? ["success"] : ["success", "skipped"];
    case "on_failure":
      return ["failed"];
    case "always":
      return ["success", "failed", "skipped"];
    default:
      return [];
  }
}

/**
 * The skipped jobs to process again when `record` is played or retried: skipped jobs of later
 * stages and skipped jobs that need it, directly or not.
 * Source: app/services/ci/reset_skipped_jobs_service.rb.
 */
export function skippedDependents(record: JobRecord, records: readonly JobRecord[]): JobRecord[] {
  const descendants = new Set<string>([record.job.name]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const other of records) {
      if (descendants.has(other.job.name)) continue;
      if (other.job.needs?.some((name) => descendants.has(name))) {
        descendants.add(other.job.name);
        grew = true;
      }
    }
  }
  return records.filter(
    (other) =>
      other !== record &&
      currentAttempt(other).status === "skipped" &&
      (other.stageIndex > record.stageIndex || descendants.has(other.job.name)),
  );
}
