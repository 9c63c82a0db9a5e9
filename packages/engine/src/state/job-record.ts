/** What the state machine keeps per planned job: its settings and its attempts, newest last. */
import type { PlannedJob } from "@conveyor/pipeline";
import type { JobSettings } from "./job-settings.js";
import type { JobAttempt } from "./types.js";

export type AttemptState = { -readonly [K in keyof JobAttempt]: JobAttempt[K] } & {
  /** A retried manual or delayed job skips the wait (GitLab's `enqueue_immediately`). */
  enqueueImmediately: boolean;
};

export interface JobRecord {
  job: PlannedJob;
  /** Position of the job's stage in the plan's stages. */
  stageIndex: number;
  settings: JobSettings;
  attempts: AttemptState[];
}

export function currentAttempt(record: JobRecord): AttemptState {
  return record.attempts[record.attempts.length - 1]!;
}

export function newAttempt(record: JobRecord, id: number): AttemptState {
  const { job, settings } = record;
  const attempt: AttemptState = {
    id,
    name: job.name,
    stage: job.stage,
    attempt: record.attempts.length + 1,
    status: "created",
    retried: false,
    allowFailure: job.allowFailure,
    timeoutSeconds: settings.timeoutSeconds,
    interruptible: settings.interruptible,
    job,
    enqueueImmediately: false,
  };
  if (settings.resourceGroup !== undefined) attempt.resourceGroup = settings.resourceGroup;
  return attempt;
}

/** A copy for the outside world, without internal flags. */
export function snapshot(attempt: AttemptState): JobAttempt {
  const { enqueueImmediately: _internal, ...view } = attempt;
  return view;
}
