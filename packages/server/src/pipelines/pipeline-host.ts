/**
 * One active pipeline on the server: the engine's state machine in memory, and its stored
 * projection kept in step with it. The stored event log is the truth; the state machine is
 * rebuilt from it after a restart (the engine is pure, so replaying the same events with the
 * same job ids gives the same state).
 *
 * Not safe for concurrent use: the Coordinator runs every call for one pipeline in order.
 */
import {
  type Decision,
  type EngineEvent,
  type JobAttempt,
  PipelineRun,
  type RunOptions,
} from "@conveyor/engine";
import { expandVariables, type PlannedJob } from "@conveyor/pipeline";
import type { JobChange, JobRecord, PipelineRecord, PipelineStep, Store } from "../store/types.js";

export interface HostOptions {
  store: Store;
  /** The next job id (shared by every pipeline of the server). */
  nextJobId: () => number;
  settings?: Omit<RunOptions, "ids">;
}

export interface StepOutcome {
  decisions: Decision[];
  /** False when a claim lost (the job was no longer free): nothing changed. */
  applied: boolean;
  /** The stored job rows the event changed. */
  changedJobs?: JobChange[];
  /** The ids of the attempts the event created (first runs and retries). */
  newJobIds?: number[];
}

type Claim = NonNullable<PipelineStep["claim"]>;

export class PipelineHost {
  private constructor(
    readonly record: PipelineRecord,
    private readonly run: PipelineRun,
    private seq: number,
    private readonly options: HostOptions,
    private snapshot: Map<number, JobAttempt>,
  ) {}

  /** A new pipeline: its first attempts are stored with the `start` event. */
  static async start(
    record: PipelineRecord,
    now: number,
    options: HostOptions,
  ): Promise<{ host: PipelineHost; outcome: StepOutcome }> {
    const run = new PipelineRun(record.plan, { ...options.settings, ids: options.nextJobId });
    const host = new PipelineHost(record, run, 0, options, new Map());
    const outcome = await host.apply({ type: "start", now });
    return { host, outcome };
  }

  /** Rebuilds a stored pipeline by replaying its events with the job ids it already used. */
  static async restore(record: PipelineRecord, options: HostOptions): Promise<PipelineHost> {
    const [events, jobs] = await Promise.all([
      options.store.pipelines.events(record.id),
      options.store.jobs.ofPipeline(record.id),
    ]);
    const known = jobs.map((job) => job.id).sort((a, b) => a - b);
    let next = 0;
    const ids = () => known[next++] ?? options.nextJobId();
    const run = new PipelineRun(record.plan, { ...options.settings, ids });
    for (const event of events) run.apply(event);
    const snapshot = new Map(run.attempts.map((attempt) => [attempt.id, attempt]));
    return new PipelineHost(record, run, events.length, options, snapshot);
  }

  get id(): number {
    return this.record.id;
  }

  get status() {
    return this.run.status;
  }

  get isComplete(): boolean {
    return this.run.isComplete;
  }

  get nextWakeAt(): number | undefined {
    return this.run.nextWakeAt;
  }

  attempt(jobId: number): JobAttempt | undefined {
    return this.run.attempt(jobId);
  }

  attempts(): JobAttempt[] {
    return this.run.attempts;
  }

  artifactSources(jobId: number) {
    return this.run.artifactSources(jobId);
  }

  /**
   * Applies the event and stores it with what it changed. With a claim, the job must be
   * `pending` here first; the store checks again that no runner holds it.
   */
  async apply(event: EngineEvent, claim?: Claim): Promise<StepOutcome> {
    if (claim && this.run.attempt(claim.jobId)?.status !== "pending") {
      return { decisions: [], applied: false };
    }
    const decisions = this.run.apply(event);
    const step = this.stepFor(event, claim);
    const applied = await this.options.store.pipelines.recordStep(step);
    if (!applied) {
      throw new PipelineOutOfStep(this.record.id, `claim of job ${claim?.jobId} was refused`);
    }
    this.seq += 1;
    return {
      decisions,
      applied: true,
      changedJobs: step.changedJobs,
      newJobIds: step.newJobs.map((job) => job.id),
    };
  }

  private stepFor(event: EngineEvent, claim: Claim | undefined): PipelineStep {
    const attempts = this.run.attempts;
    const newJobs: JobRecord[] = [];
    const changedJobs: JobChange[] = [];
    for (const attempt of attempts) {
      const before = this.snapshot.get(attempt.id);
      if (!before) newJobs.push(this.jobRecord(attempt, event.now));
      else {
        const change = changeOf(before, attempt);
        if (change) changedJobs.push(change);
      }
    }
    this.snapshot = new Map(attempts.map((attempt) => [attempt.id, attempt]));
    const status = this.run.status;
    const startedAt = this.record.startedAt ?? attempts.find((a) => a.startedAt)?.startedAt;
    const finishedAt = this.run.isComplete ? (this.record.finishedAt ?? event.now) : undefined;
    this.record.status = status;
    this.record.updatedAt = event.now;
    if (startedAt !== undefined) this.record.startedAt = startedAt;
    if (finishedAt !== undefined) this.record.finishedAt = finishedAt;
    return {
      pipelineId: this.record.id,
      seq: this.seq,
      event,
      newJobs,
      changedJobs,
      pipeline: {
        status,
        updatedAt: event.now,
        ...(startedAt !== undefined ? { startedAt } : {}),
        ...(finishedAt !== undefined ? { finishedAt } : {}),
      },
      ...(claim ? { claim } : {}),
    };
  }

  private jobRecord(attempt: JobAttempt, now: number): JobRecord {
    return {
      id: attempt.id,
      pipelineId: this.record.id,
      projectId: this.record.projectId,
      name: attempt.name,
      stage: attempt.stage,
      status: attempt.status,
      attempt: attempt.attempt,
      retried: attempt.retried,
      allowFailure: attempt.allowFailure,
      tags: jobTags(attempt.job, this.record.plan.variables),
      timeoutSeconds: attempt.timeoutSeconds,
      cancelGracefully: false,
      createdAt: now,
      updatedAt: now,
      ...optional(attempt),
    };
  }
}

/** The store refused what memory did: the host must be rebuilt from the store. */
export class PipelineOutOfStep extends Error {
  override readonly name = "PipelineOutOfStep";
  constructor(
    readonly pipelineId: number,
    detail: string,
  ) {
    super(`pipeline ${pipelineId} is out of step with its store: ${detail}`);
  }
}

/** The job's `tags`, with variables expanded as GitLab does since 14.1 (docs: ci/yaml, tags). */
export function jobTags(job: PlannedJob, globals: Record<string, string>): string[] {
  const tags = job.definition.tags;
  if (!Array.isArray(tags)) return [];
  const scope = { ...globals, ...job.variables };
  const lookup = (name: string) => scope[name];
  return tags
    .filter((tag): tag is string => typeof tag === "string")
    .map((tag) => expandVariables(tag, lookup))
    .filter((tag) => tag !== "");
}

const TRACKED = [
  "status",
  "retried",
  "allowFailure",
  "failureReason",
  "exitCode",
  "queuedAt",
  "startedAt",
  "finishedAt",
] as const;

function changeOf(before: JobAttempt, after: JobAttempt): JobChange | undefined {
  const change: Record<string, unknown> = {};
  let changed = false;
  for (const key of TRACKED) {
    if (before[key] !== after[key]) {
      change[key] = after[key];
      changed = true;
    }
  }
  return changed ? ({ id: after.id, ...change } as JobChange) : undefined;
}

function optional(attempt: JobAttempt): Partial<JobRecord> {
  const out: Partial<JobRecord> = {};
  if (attempt.failureReason !== undefined) out.failureReason = attempt.failureReason;
  if (attempt.exitCode !== undefined) out.exitCode = attempt.exitCode;
  if (attempt.queuedAt !== undefined) out.queuedAt = attempt.queuedAt;
  if (attempt.startedAt !== undefined) out.startedAt = attempt.startedAt;
  if (attempt.finishedAt !== undefined) out.finishedAt = attempt.finishedAt;
  return out;
}
