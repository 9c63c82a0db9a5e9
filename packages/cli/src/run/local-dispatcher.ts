/**
 * Drives one pipeline on this machine: feeds the engine's state machine (PipelineRun) its events
 * and carries out its decisions. Up to `concurrency` jobs run at once, each in a build slot of
 * its own (`CI_CONCURRENT_ID`); delayed jobs wake on a timer; the manual jobs the user named are
 * played as soon as they become playable (the others stay `manual`); `cancel()` asks the engine
 * to cancel and stops the running jobs gracefully (after_script still runs), `abort()` stops
 * them at once. Jobs are started through `startJob`, the one I/O port, so the loop is tested
 * with a fake there.
 */
import type { JobAttempt, PipelineRun } from "@conveyor/engine";
import type { JobResult } from "@conveyor/protocol";

export interface JobLaunch {
  attempt: JobAttempt;
  /** The build slot: no two running jobs share one. */
  slot: number;
  /** Graceful cancel: the script stops, after_script and `when: on_failure` uploads still run. */
  signal: AbortSignal;
  /** Hard abort: everything stops. */
  abortSignal: AbortSignal;
}

export interface DispatcherOptions {
  run: PipelineRun;
  concurrency: number;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Names of manual jobs to play (a job's full name, or its YAML key for all its instances). */
  play?: ReadonlySet<string>;
  startJob: (launch: JobLaunch) => Promise<JobResult>;
  /** Called after every change of state (for the progress line). */
  onChange?: () => void;
}

interface RunningJob {
  slot: number;
  graceful: AbortController;
  hard: AbortController;
}

/** A job that could not be started or crashed the runner core fails as the runner reports it. */
const SYSTEM_FAILURE: JobResult = { state: "failed", failure_reason: "runner_system_failure" };

export class LocalDispatcher {
  readonly #options: DispatcherOptions;
  readonly #queue: JobAttempt[] = [];
  readonly #running = new Map<number, RunningJob>();
  readonly #freeSlots: number[];
  readonly #played = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  #done: (() => void) | undefined;
  #failure: ((error: unknown) => void) | undefined;

  constructor(options: DispatcherOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.#options = options;
    this.#freeSlots = Array.from({ length: options.concurrency }, (_, i) => i);
  }

  /** Runs the pipeline until it is complete or nothing more can happen without a user (blocked). */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#done = resolve;
      this.#failure = reject;
      this.#apply({ type: "start", now: this.#options.clock() });
    });
  }

  /** Cancels the pipeline as GitLab's Cancel button does. */
  cancel(): void {
    this.#apply({ type: "cancel", now: this.#options.clock() });
  }

  /** Stops every running job at once (a second interrupt). */
  abort(): void {
    for (const job of this.#running.values()) job.hard.abort();
    this.cancel();
  }

  get runningCount(): number {
    return this.#running.size;
  }

  get queuedCount(): number {
    return this.#queue.length;
  }

  #apply(event: Parameters<PipelineRun["apply"]>[0]): void {
    try {
      this.#handle(this.#options.run.apply(event));
      this.#playNamedManualJobs();
      this.#pump();
      this.#armTimer();
      this.#options.onChange?.();
      this.#finishWhenSettled();
    } catch (error) {
      this.#stopTimer();
      this.#failure?.(error);
    }
  }

  #handle(decisions: ReturnType<PipelineRun["apply"]>): void {
    for (const decision of decisions) {
      switch (decision.type) {
        case "enqueue":
          this.#queue.push(decision.job);
          break;
        case "stop":
          this.#running.get(decision.jobId)?.graceful.abort();
          break;
        case "dequeue": {
          const index = this.#queue.findIndex((job) => job.id === decision.jobId);
          if (index >= 0) this.#queue.splice(index, 1);
          break;
        }
        case "wake-at":
          // #armTimer reads the engine's next wake-up after every event.
          break;
      }
    }
  }

  #playNamedManualJobs(): void {
    const play = this.#options.play;
    if (!play || play.size === 0) return;
    for (;;) {
      const job = this.#options.run.jobs.find(
        (attempt) =>
          attempt.status === "manual" &&
          !this.#played.has(attempt.id) &&
          (play.has(attempt.name) || play.has(attempt.job.jobName)),
      );
      if (!job) return;
      this.#played.add(job.id);
      this.#handle(
        this.#options.run.apply({ type: "play", jobId: job.id, now: this.#options.clock() }),
      );
    }
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#freeSlots.length > 0) {
      const attempt = this.#queue.shift()!;
      const slot = this.#freeSlots.shift()!;
      const job: RunningJob = {
        slot,
        graceful: new AbortController(),
        hard: new AbortController(),
      };
      this.#running.set(attempt.id, job);
      this.#handle(
        this.#options.run.apply({
          type: "job-running",
          jobId: attempt.id,
          now: this.#options.clock(),
        }),
      );
      const current = this.#options.run.attempt(attempt.id) ?? attempt;
      let started: Promise<JobResult>;
      try {
        started = this.#options.startJob({
          attempt: current,
          slot,
          signal: job.graceful.signal,
          abortSignal: job.hard.signal,
        });
      } catch {
        started = Promise.resolve(SYSTEM_FAILURE);
      }
      started.then(
        (result) => this.#finish(attempt.id, result),
        () => this.#finish(attempt.id, SYSTEM_FAILURE),
      );
    }
  }

  #finish(jobId: number, result: JobResult): void {
    const job = this.#running.get(jobId);
    if (!job) return;
    this.#running.delete(jobId);
    this.#freeSlots.push(job.slot);
    this.#freeSlots.sort((a, b) => a - b);
    this.#apply({ type: "job-finished", jobId, result, now: this.#options.clock() });
  }

  #armTimer(): void {
    const at = this.#options.run.nextWakeAt;
    if (at === this.#timerAt) return;
    this.#stopTimer();
    if (at === undefined) return;
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = undefined;
        this.#apply({ type: "tick", now: Math.max(this.#options.clock(), at) });
      },
      Math.max(0, at - this.#options.clock()),
    );
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }

  #finishWhenSettled(): void {
    if (this.#running.size > 0 || this.#queue.length > 0) return;
    const run = this.#options.run;
    if (!run.isComplete && !run.isIdle) return;
    this.#stopTimer();
    this.#done?.();
    this.#done = undefined;
  }
}
