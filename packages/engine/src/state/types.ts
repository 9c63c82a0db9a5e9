/**
 * The state machine's inputs and outputs: events in (with the time they happen, epoch
 * milliseconds), decisions out for the dispatcher, and the job attempts it keeps.
 */
import type { PlannedJob } from "@conveyor/pipeline";
import type { FailureReason, JobResult } from "@conveyor/protocol";
import type { JobStatus, PipelineStatus } from "./statuses.js";

/** One run of a job. A retry makes a new attempt with a new id; the old one is `retried`. */
export interface JobAttempt {
  readonly id: number;
  /** The job's name in the pipeline. */
  readonly name: string;
  readonly stage: string;
  /** 1 for the first run, 2 after the first retry, … */
  readonly attempt: number;
  readonly status: JobStatus;
  /** A newer attempt replaced this one (GitLab keeps it, marked `retried`). */
  readonly retried: boolean;
  /** The job may fail: `allow_failure`, or its exit code is one of `allow_failure:exit_codes`. */
  readonly allowFailure: boolean;
  /** `timeout` in seconds (the project default when absent); the runner enforces it. */
  readonly timeoutSeconds: number;
  readonly interruptible: boolean;
  /** The `resource_group` key, expanded. */
  readonly resourceGroup?: string;
  readonly failureReason?: FailureReason;
  readonly exitCode?: number;
  /** When a `scheduled` (delayed) job becomes pending. */
  readonly scheduledAt?: number;
  /** When the job became pending. */
  readonly queuedAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** The planned job, for building its payload. */
  readonly job: PlannedJob;
}

/** A job a job takes artifacts from (`Ci::BuildDependencies#local`). */
export interface ArtifactSource {
  id: number;
  name: string;
  status: JobStatus;
}

export interface StageSummary {
  name: string;
  status: PipelineStatus;
  warnings: boolean;
}

/**
 * `workflow:auto_cancel:on_new_commit`: `conservative` cancels the pipeline unless a job with
 * `interruptible: false` has started; `interruptible` cancels only interruptible jobs.
 */
export type AutoCancelMode = "conservative" | "interruptible" | "none";

/** A job of this pipeline: by name, or by its current attempt's id. */
export type JobRef = { jobName: string } | { jobId: number };

export type EngineEvent =
  | { type: "start"; now: number }
  | { type: "job-running"; jobId: number; now: number }
  | { type: "job-finished"; jobId: number; result: JobResult; now: number }
  | ({ type: "play"; now: number } & JobRef)
  | ({ type: "retry"; now: number } & JobRef)
  /** Cancels the whole pipeline, or one job when a job is named (GitLab's job "Cancel"). */
  | ({ type: "cancel"; now: number } & Partial<JobRef>)
  /** A newer pipeline was created for the ref; `mode` defaults to the plan's. */
  | { type: "auto-cancel"; mode?: AutoCancelMode; now: number }
  | { type: "tick"; now: number };

export type Decision =
  /** Queue the job for a runner (it is `pending`). */
  | { type: "enqueue"; job: JobAttempt }
  /** Abort the running job; it stays `canceling` until its result arrives. */
  | { type: "stop"; jobId: number }
  /** Drop the queued job: it was canceled before a runner took it. */
  | { type: "dequeue"; jobId: number }
  /** Send a `tick` at (or after) this time. */
  | { type: "wake-at"; at: number };
