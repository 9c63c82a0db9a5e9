/**
 * Runs pipeline schedules when they fall due. Every `intervalMs` (and once at `start()`), each
 * active schedule whose `nextRunAt` has passed starts one pipeline, records it as its
 * `lastPipelineId`, and gets its next run computed from the cron expression after *now*, not
 * after the missed time: a schedule that fell due several times while the server was down runs
 * once, then keeps its rhythm. A schedule whose pipeline could not start still moves on to its
 * next run (GitLab too creates nothing and says nothing, docs: ci/pipelines/schedules.md).
 * Each tick then runs the other time-driven work it was given (`tasks`, e.g. stopping
 * environments whose `auto_stop_at` passed). Ticks never overlap.
 */
import type { PipelineStarter, StartOutcome } from "../pipelines/starter.js";
import type { ScheduleRecord, Store } from "../store/types.js";
import { nextRunAfter } from "./cron.js";
import { runSchedule } from "./run-schedule.js";

export interface SchedulerOptions {
  store: Store;
  starter: PipelineStarter;
  clock: () => number;
  /** How often due schedules are looked for. */
  intervalMs: number;
  /** Told about each run (for the server's log). */
  onRun?: (schedule: ScheduleRecord, outcome: StartOutcome) => void;
  onError?: (error: unknown, schedule?: ScheduleRecord) => void;
  /** More time-driven work, run after the due schedules on every tick. */
  tasks?: readonly ScheduledTask[];
}

/** Work the scheduler's tick runs; it reads the time from the scheduler's clock itself. */
export interface ScheduledTask {
  name: string;
  run(): Promise<unknown>;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  /** Runs due schedules now, then every interval. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runDue(), this.options.intervalMs);
    this.timer.unref();
    void this.runDue();
  }

  /** Stops the timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One tick: runs every schedule due now, then the tasks, and answers how many schedules
   * ran. While a tick is in
   * progress, another call answers that tick's promise instead of starting a second one.
   */
  runDue(): Promise<number> {
    this.running ??= this.tick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async tick(): Promise<number> {
    const ran = await this.runSchedules();
    for (const task of this.options.tasks ?? []) {
      try {
        await task.run();
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    return ran;
  }

  private async runSchedules(): Promise<number> {
    const { store, clock, onError } = this.options;
    let due: ScheduleRecord[];
    try {
      due = await store.schedules.due(clock());
    } catch (error) {
      onError?.(error);
      return 0;
    }
    let ran = 0;
    for (const schedule of due) {
      try {
        await this.runOne(schedule);
        ran += 1;
      } catch (error) {
        onError?.(error, schedule);
      }
    }
    return ran;
  }

  private async runOne(schedule: ScheduleRecord): Promise<void> {
    const { store, clock } = this.options;
    let outcome: StartOutcome;
    try {
      outcome = await runSchedule(this.options, schedule);
    } catch (error) {
      outcome = { error: error instanceof Error ? error.message : String(error) };
    }
    this.options.onRun?.(schedule, outcome);
    const now = clock();
    let nextRunAt: number | undefined;
    try {
      nextRunAt = nextRunAfter(schedule.cron, schedule.cronTimezone, now);
    } catch {
      // A stored expression that no longer parses: the schedule stops rather than spinning.
    }
    await store.schedules.update(
      schedule.id,
      {
        ...(nextRunAt === undefined ? { active: false } : { nextRunAt }),
        ...("pipelineId" in outcome ? { lastPipelineId: outcome.pipelineId } : {}),
      },
      now,
    );
  }
}
