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
import { compositeOfKeys, compositeStatus, type StatusKey, statusKey } from "./composite.js";
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

/**
 * previousStatus for every job of one pipeline without scanning every job for each: the jobs a
 * job `needs` are looked up once, and the status keys of the jobs before each stage are kept
 * until `invalidate()` says that a status changed.
 */
export class PreviousStatuses {
  readonly #records: readonly JobRecord[];
  readonly #position = new Map<JobRecord, number>();
  readonly #byName = new Map<string, JobRecord[]>();
  readonly #needed = new Map<JobRecord, JobRecord[]>();
  /** Stage index → the composite status of every job in a stage before it; empty when invalidated. */
  readonly #before = new Map<number, PipelineStatus>();
  /** Stage index → the keys of its jobs; undefined when invalidated. */
  #stageKeys: Map<number, Set<StatusKey>> | undefined;

  constructor(records: readonly JobRecord[]) {
    this.#records = records;
    records.forEach((record, index) => this.#position.set(record, index));
    for (const record of records) {
      const same = this.#byName.get(record.job.name);
      if (same) same.push(record);
      else this.#byName.set(record.job.name, [record]);
    }
  }

  /** Call after any job's status changed. */
  invalidate(): void {
    this.#stageKeys = undefined;
    this.#before.clear();
  }

  /** The same as previousStatus(record, records). */
  of(record: JobRecord): PipelineStatus {
    const needs = record.job.needs;
    if (needs !== null) {
      const entries = this.#neededBy(record, needs).map(currentAttempt);
      return compositeStatus(entries, { dag: true }).status ?? "success";
    }
    return this.#statusBefore(record.stageIndex);
  }

  #neededBy(record: JobRecord, needs: readonly string[]): JobRecord[] {
    let needed = this.#needed.get(record);
    if (!needed) {
      const wanted = new Set(needs);
      // In plan order, as filtering the records gives them.
      needed = [...wanted]
        .flatMap((name) => this.#byName.get(name) ?? [])
        .sort((a, b) => (this.#position.get(a) ?? 0) - (this.#position.get(b) ?? 0));
      this.#needed.set(record, needed);
    }
    return needed;
  }

  #statusBefore(stageIndex: number): PipelineStatus {
    const known = this.#before.get(stageIndex);
    if (known) return known;
    if (!this.#stageKeys) {
      this.#stageKeys = new Map();
      for (const other of this.#records) {
        const keys = this.#stageKeys.get(other.stageIndex) ?? new Set<StatusKey>();
        keys.add(statusKey(currentAttempt(other)));
        this.#stageKeys.set(other.stageIndex, keys);
      }
    }
    const keys = new Set<StatusKey>();
    for (const [index, stage] of this.#stageKeys) {
      if (index < stageIndex) for (const key of stage) keys.add(key);
    }
    const status = compositeOfKeys(keys).status ?? "success";
    this.#before.set(stageIndex, status);
    return status;
  }
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
