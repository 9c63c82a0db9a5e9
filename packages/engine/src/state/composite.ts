/**
 * GitLab's composite status: one status for a set of jobs (a stage, a pipeline, the jobs
 * before a stage, or the jobs a job `needs`). Order matters: the first rule that fits wins.
 * A failed or canceled job that may fail counts as `success_with_warnings`; a manual job that
 * may fail (a non-blocking manual job) counts as `ignored`. For a `needs` set (`dag`), any
 * skipped or ignored need makes the whole set `skipped`.
 * Source: lib/gitlab/ci/status/composite.rb.
 */
import {
  IGNORED_STATUSES,
  PASSED_WITH_WARNINGS_STATUSES,
  type JobStatus,
  type PipelineStatus,
} from "./statuses.js";

export interface StatusEntry {
  status: JobStatus;
  allowFailure: boolean;
}

export interface CompositeStatus {
  /** `undefined` for an empty set. */
  status: PipelineStatus | undefined;
  /** A job that was allowed to fail failed or was canceled. */
  warnings: boolean;
}

/** What a job contributes to a composite status: its status, or how it counts when it may fail. */
export type StatusKey = JobStatus | "success_with_warnings" | "ignored";

/** One entry's key. */
export function statusKey({ status, allowFailure }: StatusEntry): StatusKey {
  if (allowFailure && PASSED_WITH_WARNINGS_STATUSES.has(status)) return "success_with_warnings";
  if (allowFailure && IGNORED_STATUSES.has(status)) return "ignored";
  return status;
}

export function compositeStatus(
  entries: Iterable<StatusEntry>,
  options: { dag?: boolean } = {},
): CompositeStatus {
  const keys = new Set<StatusKey>();
  for (const entry of entries) keys.add(statusKey(entry));
  return compositeOfKeys(keys, options.dag ?? false);
}

/** The composite status of a set of entries given by their keys (the order does not matter). */
export function compositeOfKeys(keys: ReadonlySet<StatusKey>, dag = false): CompositeStatus {
  return { status: statusOf(keys, dag), warnings: keys.has("success_with_warnings") };
}

function statusOf(keys: ReadonlySet<StatusKey>, dag: boolean): PipelineStatus | undefined {
  if (keys.size === 0) return undefined;
  const any = (...names: StatusKey[]) => names.some((name) => keys.has(name));
  const only = (...names: StatusKey[]) => {
    const matching = names.filter((name) => keys.has(name)).length;
    return matching > 0 && matching === keys.size;
  };
  // The DAG job is skipped if one of its needs does not run at all.
  if (dag && any("skipped", "ignored")) return "skipped";
  if (only("skipped", "ignored")) return "skipped";
  if (only("success", "skipped", "success_with_warnings", "ignored")) return "success";
  if (only("created", "success_with_warnings", "ignored")) return "created";
  if (only("canceled", "success", "skipped", "success_with_warnings", "ignored")) return "canceled";
  if (only("pending", "created", "skipped", "success_with_warnings", "ignored")) return "pending";
  if (any("running", "pending")) return "running";
  if (any("waiting_for_resource")) return "waiting_for_resource";
  if (any("manual")) return "manual";
  if (any("scheduled")) return "scheduled";
  if (any("created")) return "running";
  if (any("canceling")) return "canceling";
  return "failed";
}
