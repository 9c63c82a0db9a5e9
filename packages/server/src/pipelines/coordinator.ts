/**
 * Every active pipeline of the server, each behind its own serial lane: events (a runner took a
 * job, a job finished, a person pressed cancel/retry/play, a delayed job came due) go in, the
 * stored projection and the queue signal come out. A restart rebuilds the active pipelines
 * from the store.
 */
import type { EngineEvent, RunOptions } from "@conveyor/engine";
import type { JobResult } from "@conveyor/protocol";
import { QueueSignal } from "../dispatch/queue-signal.js";
import type { JobChange, JobRecord, NewPipeline, PipelineRecord, Store } from "../store/types.js";
import { KeyedSerial } from "../util/serial.js";
import { PipelineHost, PipelineOutOfStep, type StepOutcome } from "./pipeline-host.js";

export interface CoordinatorOptions {
  store: Store;
  clock: () => number;
  signal?: QueueSignal;
  settings?: Omit<RunOptions, "ids">;
  /**
   * What follows a committed event, awaited in the pipeline's lane before its next event: the
   * attempts it created and the job rows it changed. A failure goes to onError (the event stays
   * applied).
   */
  afterStep?: (host: PipelineHost, step: CommittedStep) => Promise<void>;
  /**
   * A pipeline rebuilt from the store when the server starts, awaited before it serves: what a
   * stopped server left undone after its events is done here.
   */
  onRestore?: (host: PipelineHost) => Promise<void>;
  /** Something failed outside any request (a timer's event); the server logs it. */
  onError?: (error: unknown) => void;
}

/** What one committed event did to the pipeline's jobs. */
export interface CommittedStep {
  newJobIds: number[];
  changedJobs: JobChange[];
}

export interface JobClaim {
  jobId: number;
  runnerId: number;
  tokenDigest: string;
  cancelGracefully: boolean;
}

export class Coordinator {
  readonly signal: QueueSignal;
  private readonly hosts = new Map<number, PipelineHost>();
  private readonly lanes = new KeyedSerial<number>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: CoordinatorOptions) {
    this.signal = options.signal ?? new QueueSignal();
  }

  /** Rebuilds the active pipelines from the store (call once, before serving). */
  async load(): Promise<void> {
    const store = this.options.store;
    this.nextId = (await store.pipelines.maxJobId()) + 1;
    for (const record of await store.pipelines.active()) {
      if (!record.plan.created) continue;
      const host = await PipelineHost.restore(record, this.hostOptions());
      this.track(host);
      await this.lanes.run(host.id, async () => {
        try {
          await this.options.onRestore?.(host);
        } catch (error) {
          this.options.onError?.(error);
        }
      });
    }
    this.signal.bump(0);
    this.signal.wakeAll();
  }

  /**
   * Stores a new pipeline and starts it. A plan with errors is stored `failed` (GitLab keeps
   * such pipelines with their YAML errors); a plan that created no pipeline is not stored.
   */
  async create(pipeline: Omit<NewPipeline, "status">): Promise<PipelineRecord | undefined> {
    if (!pipeline.plan.created && pipeline.plan.errors.length === 0) return undefined;
    const now = this.options.clock();
    const status = pipeline.plan.created ? "created" : "failed";
    const record = await this.options.store.pipelines.create(
      { ...pipeline, status, ...(status === "failed" ? { finishedAt: now } : {}) },
      now,
    );
    if (!pipeline.plan.created) return record;
    return this.lanes.run(record.id, async () => {
      const { host, outcome } = await PipelineHost.start(record, now, this.hostOptions());
      this.track(host);
      await this.afterStep(host, outcome);
      this.follow(host, outcome);
      return host.record;
    });
  }

  /** The event for a pipeline, applied in its lane; undefined when it is no longer active. */
  apply(pipelineId: number, event: EngineEvent): Promise<StepOutcome | undefined> {
    return this.lanes.run(pipelineId, () => this.applyNow(pipelineId, event));
  }

  /** A runner takes a queued job: true when it got it. */
  claim(job: JobRecord, claim: JobClaim): Promise<boolean> {
    return this.lanes.run(job.pipelineId, async () => {
      const outcome = await this.applyNow(
        job.pipelineId,
        { type: "job-running", jobId: job.id, now: this.options.clock() },
        claim,
      );
      return outcome?.applied ?? false;
    });
  }

  finish(job: JobRecord, result: JobResult): Promise<StepOutcome | undefined> {
    return this.apply(job.pipelineId, {
      type: "job-finished",
      jobId: job.id,
      result,
      now: this.options.clock(),
    });
  }

  /** Active pipelines of a project on a ref, oldest first (auto-cancel candidates). */
  activeOn(projectId: number, ref: string): PipelineRecord[] {
    return [...this.hosts.values()]
      .map((host) => host.record)
      .filter((record) => record.projectId === projectId && record.ref === ref)
      .sort((a, b) => a.id - b.id);
  }

  host(pipelineId: number): PipelineHost | undefined {
    return this.hosts.get(pipelineId);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async applyNow(
    pipelineId: number,
    event: EngineEvent,
    claim?: JobClaim,
  ): Promise<StepOutcome | undefined> {
    let host = this.hosts.get(pipelineId);
    if (!host) host = await this.reload(pipelineId);
    if (!host) return undefined;
    try {
      const outcome = await host.apply(event, claim);
      await this.afterStep(host, outcome);
      this.follow(host, outcome);
      return outcome;
    } catch (error) {
      // Memory moved and the store did not: rebuild from the store, which is the truth.
      this.hosts.delete(pipelineId);
      if (error instanceof PipelineOutOfStep) {
        await this.reload(pipelineId);
        return { decisions: [], applied: false };
      }
      await this.reload(pipelineId).catch(() => undefined);
      throw error;
    }
  }

  private async reload(pipelineId: number): Promise<PipelineHost | undefined> {
    const record = await this.options.store.pipelines.byId(pipelineId);
    if (!record || !record.plan.created) return undefined;
    const host = await PipelineHost.restore(record, this.hostOptions());
    // A finished pipeline is rebuilt for one event (a retry or play) and then let go again.
    this.track(host);
    return host;
  }

  private hostOptions() {
    return {
      store: this.options.store,
      nextJobId: () => this.nextId++,
      ...(this.options.settings ? { settings: this.options.settings } : {}),
    };
  }

  private track(host: PipelineHost): void {
    if (host.isComplete) {
      this.forget(host.id);
      return;
    }
    this.hosts.set(host.id, host);
    this.arm(host);
  }

  /** What follows the committed event (its failure leaves the event applied). */
  private async afterStep(host: PipelineHost, outcome: StepOutcome): Promise<void> {
    const step = { newJobIds: outcome.newJobIds ?? [], changedJobs: outcome.changedJobs ?? [] };
    if (!outcome.applied || (step.newJobIds.length === 0 && step.changedJobs.length === 0)) return;
    try {
      await this.options.afterStep?.(host, step);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Acts on what the engine decided after an event. */
  private follow(host: PipelineHost, outcome: StepOutcome): void {
    const queued = outcome.decisions.filter((d) => d.type === "enqueue").length;
    if (queued > 0) this.signal.bump(queued);
    if (host.isComplete) this.forget(host.id);
    else {
      // A finished pipeline reloaded for a retry or play is active again.
      this.hosts.set(host.id, host);
      this.arm(host);
    }
  }

  private forget(pipelineId: number): void {
    this.hosts.delete(pipelineId);
    const timer = this.timers.get(pipelineId);
    if (timer) clearTimeout(timer);
    this.timers.delete(pipelineId);
  }

  /** A timer for the pipeline's next delayed job. */
  private arm(host: PipelineHost): void {
    const existing = this.timers.get(host.id);
    if (existing) clearTimeout(existing);
    this.timers.delete(host.id);
    const at = host.nextWakeAt;
    if (at === undefined || this.closed) return;
    const delay = Math.max(0, at - this.options.clock());
    const timer = setTimeout(
      () => {
        this.timers.delete(host.id);
        this.apply(host.id, { type: "tick", now: this.options.clock() }).catch((error) =>
          this.options.onError?.(error),
        );
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    timer.unref();
    this.timers.set(host.id, timer);
  }
}
