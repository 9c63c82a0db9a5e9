/**
 * One pipeline's state machine: events in (start, a job runs, a job ends, play, retry,
 * cancel, auto-cancel, the clock ticks), decisions out (enqueue, stop, dequeue, wake-at).
 * Pure: time comes with each event and ids from the injected `ids`. It follows GitLab's
 * pipeline processing; each rule lives in its own module (processing, composite, retry,
 * resource-groups, auto-cancel, artifact-sources) with its sources.
 */
import type { Plan } from "@conveyor/pipeline";
import type { JobResult } from "@conveyor/protocol";
import { artifactSourceRecords } from "./artifact-sources.js";
import { autoCancelConfig, autoCancelScope } from "./auto-cancel.js";
import { compositeStatus } from "./composite.js";
import {
  type AttemptState,
  currentAttempt,
  type JobRecord,
  newAttempt,
  snapshot,
} from "./job-record.js";
import { jobSettings, type SettingsOptions } from "./job-settings.js";
import { PreviousStatuses, processOutcome, skippedDependents } from "./processing.js";
import { ResourceGroups } from "./resource-groups.js";
import { shouldRetry } from "./retry.js";
import {
  CANCELABLE_STATUSES,
  COMPLETED_STATUSES,
  type JobStatus,
  type PipelineStatus,
  RETRYABLE_STATUSES,
} from "./statuses.js";
import type {
  ArtifactSource,
  AutoCancelMode,
  Decision,
  EngineEvent,
  JobAttempt,
  JobRef,
  StageSummary,
} from "./types.js";

export interface RunOptions extends SettingsOptions {
  /** Job ids: one per attempt, in the order attempts are made. */
  ids: () => number;
}

/** Statuses in which a runner may report on the job. */
const ACTIVE_STATUSES: ReadonlySet<string> = new Set(["pending", "running", "canceling"]);

/** Statuses in which something still happens without anyone acting. */
const BUSY_STATUSES: ReadonlySet<string> = new Set([
  "pending",
  "running",
  "canceling",
  "waiting_for_resource",
  "scheduled",
]);

export class PipelineRun {
  private readonly records: JobRecord[];
  private readonly byAttemptId = new Map<number, JobRecord>();
  private readonly groups = new ResourceGroups();
  private readonly stageNames: string[];
  private readonly autoCancel: ReturnType<typeof autoCancelConfig>;
  private readonly ids: () => number;
  private readonly previous: PreviousStatuses;
  private started = false;

  constructor(plan: Plan, options: RunOptions) {
    if (!plan.created) throw new Error(`the pipeline was not created: ${plan.reason ?? ""}`);
    this.ids = options.ids;
    this.stageNames = plan.stages;
    this.autoCancel = autoCancelConfig(plan.autoCancel);
    this.records = plan.jobs.map((job) => ({
      job,
      stageIndex: plan.stages.indexOf(job.stage),
      settings: jobSettings(job, options),
      attempts: [],
    }));
    for (const record of this.records) this.addAttempt(record);
    this.previous = new PreviousStatuses(this.records);
  }

  apply(event: EngineEvent): Decision[] {
    const out: Decision[] = [];
    switch (event.type) {
      case "start":
        if (this.started) return out;
        this.started = true;
        break;
      case "job-running":
        this.markRunning(event.jobId, event.now, out);
        break;
      case "job-finished":
        this.finish(event.jobId, event.result, event.now, out);
        break;
      case "play":
        this.play(event, event.now, out);
        break;
      case "retry": {
        const record = this.recordOf(event);
        if (record) this.retry(record);
        break;
      }
      case "cancel": {
        const one =
          "jobName" in event || "jobId" in event ? this.recordOf(event as JobRef) : undefined;
        if (one || !("jobName" in event || "jobId" in event)) {
          this.cancel(one ? [one] : this.records, event.now, out);
        }
        break;
      }
      case "auto-cancel":
        this.cancel(this.autoCancelScopeOf(event.mode), event.now, out);
        break;
      case "tick":
        this.enqueueDue(event.now, out);
        break;
    }
    this.process(event.now, out);
    return out;
  }

  /** GitLab's pipeline status: `created` until started, then the jobs' composite status. */
  get status(): PipelineStatus {
    if (!this.started) return "created";
    return compositeStatus(this.records.map(currentAttempt)).status ?? "success";
  }

  /** A job that may fail failed or was canceled (the pipeline "passed with warnings" if it passed). */
  get warnings(): boolean {
    return compositeStatus(this.records.map(currentAttempt)).warnings;
  }

  /** Finished for good: success, failed, canceled or skipped. */
  get isComplete(): boolean {
    return COMPLETED_STATUSES.has(this.status);
  }

  /**
   * Started, and no job is queued, running, canceling or waiting for a resource group or a
   * clock: only a person (play, retry, cancel) can change the pipeline now.
   */
  get isIdle(): boolean {
    return this.started && !this.records.some((r) => BUSY_STATUSES.has(currentAttempt(r).status));
  }

  /** The earliest time a `scheduled` job becomes due. */
  get nextWakeAt(): number | undefined {
    const due = this.records
      .map(currentAttempt)
      .filter((attempt) => attempt.status === "scheduled")
      .map((attempt) => attempt.scheduledAt ?? 0);
    return due.length === 0 ? undefined : Math.min(...due);
  }

  /** Each job's current attempt, in plan order. */
  get jobs(): JobAttempt[] {
    return this.records.map((record) => snapshot(currentAttempt(record)));
  }

  /** Every attempt, retried ones included, by id. */
  get attempts(): JobAttempt[] {
    return this.records
      .flatMap((record) => record.attempts.map(snapshot))
      .sort((a, b) => a.id - b.id);
  }

  get stages(): StageSummary[] {
    return this.stageNames.flatMap((name) => {
      const composite = compositeStatus(
        this.records.filter((r) => r.job.stage === name).map(currentAttempt),
      );
      return composite.status === undefined
        ? []
        : [{ name, status: composite.status, warnings: composite.warnings }];
    });
  }

  job(name: string): JobAttempt | undefined {
    const record = this.records.find((r) => r.job.name === name);
    return record && snapshot(currentAttempt(record));
  }

  attempt(id: number): JobAttempt | undefined {
    const attempt = this.byAttemptId.get(id)?.attempts.find((a) => a.id === id);
    return attempt && snapshot(attempt);
  }

  /** The current attempts of the jobs whose artifacts job `jobId` downloads. */
  artifactSources(jobId: number): ArtifactSource[] {
    const record = this.byAttemptId.get(jobId);
    if (!record) return [];
    return artifactSourceRecords(record, this.records).map((source) => {
      const { id, name, status } = currentAttempt(source);
      return { id, name, status };
    });
  }

  // Processing -------------------------------------------------------------------------------

  /** Moves every `created` job whose predecessors are complete, until nothing moves. */
  private process(now: number, out: Decision[]): void {
    if (!this.started) return;
    // Statuses changed since the last pass (events, actions).
    this.previous.invalidate();
    let moved = true;
    while (moved) {
      moved = false;
      for (const record of this.records) {
        const attempt = currentAttempt(record);
        if (attempt.status !== "created") continue;
        const outcome = processOutcome({
          when: record.job.when,
          dag: record.job.needs !== null,
          previous: this.previous.of(record),
          delayable: record.settings.startInSeconds !== undefined,
          enqueueImmediately: attempt.enqueueImmediately,
        });
        if (outcome === undefined) continue;
        moved = true;
        if (outcome === "skip") this.complete(attempt, "skipped", now, out);
        else if (outcome === "manual") attempt.status = "manual";
        else if (outcome === "schedule") this.schedule(record, attempt, now, out);
        else this.enqueue(attempt, now, out);
        this.previous.invalidate();
      }
    }
  }

  private schedule(record: JobRecord, attempt: AttemptState, now: number, out: Decision[]): void {
    attempt.status = "scheduled";
    attempt.scheduledAt = now + (record.settings.startInSeconds ?? 0) * 1000;
    out.push({ type: "wake-at", at: attempt.scheduledAt });
  }

  /** `enqueue`: pending, or waiting for its resource group. */
  private enqueue(attempt: AttemptState, now: number, out: Decision[]): void {
    const group = attempt.resourceGroup;
    if (group !== undefined) {
      attempt.status = "waiting_for_resource";
      if (!this.groups.request(group, attempt.id)) return;
    }
    this.queue(attempt, now, out);
  }

  private queue(attempt: AttemptState, now: number, out: Decision[]): void {
    attempt.status = "pending";
    attempt.queuedAt = now;
    out.push({ type: "enqueue", job: snapshot(attempt) });
  }

  /** Enters a completed status and hands the attempt's resource group on. */
  private complete(attempt: AttemptState, status: JobStatus, now: number, out: Decision[]): void {
    attempt.status = status;
    if (status !== "skipped") attempt.finishedAt = now;
    if (attempt.resourceGroup === undefined) return;
    const next = this.groups.release(attempt.resourceGroup, attempt.id);
    const nextAttempt = next === undefined ? undefined : this.findAttempt(next);
    if (nextAttempt) this.queue(nextAttempt, now, out);
  }

  private enqueueDue(now: number, out: Decision[]): void {
    for (const record of this.records) {
      const attempt = currentAttempt(record);
      if (attempt.status === "scheduled" && (attempt.scheduledAt ?? 0) <= now)
        this.enqueue(attempt, now, out);
    }
  }

  // Runner reports ---------------------------------------------------------------------------

  private markRunning(jobId: number, now: number, out: Decision[]): void {
    const attempt = this.findAttempt(jobId);
    if (attempt?.status === "pending") {
      attempt.status = "running";
      attempt.startedAt = now;
    } else if (attempt?.status === "canceled") {
      // A runner took the job as it was being canceled.
      out.push({ type: "stop", jobId });
    }
  }

  private finish(jobId: number, result: JobResult, now: number, out: Decision[]): void {
    const record = this.byAttemptId.get(jobId);
    const attempt = this.findAttempt(jobId);
    if (!record || !attempt || !ACTIVE_STATUSES.has(attempt.status)) return;
    if (attempt.status === "canceling" || result.canceled) {
      // A retried attempt can still be canceling; it ends here and frees its resource group.
      this.complete(attempt, "canceled", now, out);
      return;
    }
    if (attempt.retried) return;
    if (result.state === "success") {
      this.complete(attempt, "success", now, out);
      return;
    }
    attempt.failureReason = result.failure_reason ?? "unknown_failure";
    if (result.exit_code !== undefined) {
      attempt.exitCode = result.exit_code;
      // allow_failure:exit_codes turns this failure into an allowed one (Ci::Build#drop_with_exit_code!).
      if (record.job.allowFailureExitCodes?.includes(result.exit_code)) attempt.allowFailure = true;
    }
    this.complete(attempt, "failed", now, out);
    const failure = { reason: attempt.failureReason, exitCode: attempt.exitCode };
    if (shouldRetry(record.settings.retry, failure, record.attempts.length - 1)) {
      this.retry(record);
    } else if (!attempt.allowFailure && this.autoCancel.onJobFailure === "all") {
      // workflow:auto_cancel:on_job_failure: all (Ci::Processable, after_transition to failed).
      this.cancel(this.records, now, out);
    }
  }

  // Actions ----------------------------------------------------------------------------------

  /** Plays a manual job or runs a delayed one now; a finished one is retried (Ci::PlayBuildService). */
  private play(ref: JobRef, now: number, out: Decision[]): void {
    const record = this.recordOf(ref);
    if (!record) return;
    const attempt = currentAttempt(record);
    if (attempt.status === "manual" || attempt.status === "scheduled") {
      this.enqueue(attempt, now, out);
      this.resetSkipped(record);
    } else if (record.job.when === "manual" || record.job.when === "delayed") {
      this.retry(record);
    }
  }

  /** A new attempt of a finished job (Ci::RetryJobService); later skipped jobs are processed again. */
  private retry(record: JobRecord): void {
    const previous = currentAttempt(record);
    if (!RETRYABLE_STATUSES.has(previous.status)) return;
    previous.retried = true;
    const next = this.addAttempt(record);
    next.enqueueImmediately = record.job.when === "manual" || record.job.when === "delayed";
    this.resetSkipped(record);
  }

  private resetSkipped(record: JobRecord): void {
    for (const dependent of skippedDependents(record, this.records))
      currentAttempt(dependent).status = "created";
  }

  /** Cancels the cancelable current attempts of `records` (Ci::CancelPipelineService). */
  private cancel(records: readonly JobRecord[], now: number, out: Decision[]): void {
    const targets = records
      .map(currentAttempt)
      .filter((attempt) => CANCELABLE_STATUSES.has(attempt.status));
    // Waiting and not-yet-started jobs first, so that a released resource group does not go
    // to a job that is about to be canceled.
    for (const attempt of targets) {
      if (attempt.status === "waiting_for_resource" && attempt.resourceGroup !== undefined)
        this.groups.withdraw(attempt.resourceGroup, attempt.id);
      if (["waiting_for_resource", "created", "scheduled"].includes(attempt.status))
        this.complete(attempt, "canceled", now, out);
    }
    for (const attempt of targets) {
      if (attempt.status === "pending") {
        this.complete(attempt, "canceled", now, out);
        out.push({ type: "dequeue", jobId: attempt.id });
      } else if (attempt.status === "running") {
        attempt.status = "canceling";
        out.push({ type: "stop", jobId: attempt.id });
      }
    }
  }

  private autoCancelScopeOf(mode: AutoCancelMode | undefined): JobRecord[] {
    return autoCancelScope(mode ?? this.autoCancel.onNewCommit, this.status, this.records);
  }

  // Lookups ----------------------------------------------------------------------------------

  private addAttempt(record: JobRecord): AttemptState {
    const attempt = newAttempt(record, this.ids());
    record.attempts.push(attempt);
    this.byAttemptId.set(attempt.id, record);
    return attempt;
  }

  private findAttempt(id: number): AttemptState | undefined {
    return this.byAttemptId.get(id)?.attempts.find((attempt) => attempt.id === id);
  }

  /** A job by name, or by the id of its current attempt. */
  private recordOf(ref: JobRef): JobRecord | undefined {
    if ("jobName" in ref) return this.records.find((record) => record.job.name === ref.jobName);
    const record = this.byAttemptId.get(ref.jobId);
    return record && currentAttempt(record).id === ref.jobId ? record : undefined;
  }
}
