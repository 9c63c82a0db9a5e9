/**
 * GitLab's environment lifecycle (docs: https://docs.gitlab.com/ci/environments/#stopping-an-environment):
 *
 * - Stopping an environment (the API, or its `auto_stop_at` passing) runs the `on_stop` jobs of
 *   its last deployments (stop-actions.ts): a manual one is played, a finished one retried. The
 *   environment is `stopping` until a stop job succeeds, then `stopped`; with no stop job it is
 *   `stopped` at once. `force` stops it without running anything (docs: api/environments,
 *   "Stop an environment", https://docs.gitlab.com/api/environments/#stop-an-environment).
 * - A job with `environment:action: stop` that succeeds stops its environment however it came
 *   to run; one that fails or is canceled returns a `stopping` environment to `available`
 *   (GitLab recovers environments stuck in `stopping`, gitlab-org/gitlab!132300).
 * - A deployment job (`action: start`) that succeeds makes the environment `available` again,
 *   its last deployment, and renews `auto_stop_at` from its `auto_stop_in`
 *   (https://docs.gitlab.com/ci/yaml/#environmentauto_stop_in). `prepare` and `access` jobs
 *   renew it with the `auto_stop_in` of the last successful deployment; `verify` jobs do not
 *   (docs: ci/environments, "Access an environment for preparation or verification purposes").
 *
 * Work on one environment (a stop, the end of one of its jobs) runs one at a time.
 *
 * Crash safety: a job's environment is noted durably (store.jobEnvironments) before the job can
 * end, and the note is settled only after its end moved the environment. Applying an end reads
 * the job as stored (its status, its `finished_at` for the renewed `auto_stop_at`) and writes
 * absolute values, so applying it again changes nothing. `recover`, when the server starts,
 * applies the ends a stopped server committed but did not apply, then sets going the stop jobs
 * of `stopping` environments whose stop was recorded but whose jobs never started.
 */
import type { EngineEvent, JobStatus } from "@conveyor/engine";
import { rememberedEnvironment } from "../dispatch/environments.js";
import type {
  EnvironmentChange,
  EnvironmentRecord,
  EnvironmentState,
  JobChange,
  JobRecord,
  Store,
} from "../store/types.js";
import { KeyedSerial } from "../util/serial.js";
import { autoStopChange } from "./auto-stop.js";
import { type StopAction, stopActionsOf, stopStepOf } from "./stop-actions.js";

/** Where events for a pipeline go (the server's Coordinator). */
export interface PipelineEvents {
  apply(pipelineId: number, event: EngineEvent): Promise<unknown>;
}

export interface EnvironmentLifecycleOptions {
  store: Store;
  clock: () => number;
  pipelines: PipelineEvents;
  /** Something failed outside any request (a job's end, a timer); the server logs it. */
  onError: (error: unknown) => void;
}

export interface StopOptions {
  /** Stop without running the `on_stop` jobs (also ends `stopping`). */
  force?: boolean;
}

/** Job statuses that end a job: its end moves its environment. */
const ENDED: ReadonlySet<JobStatus> = new Set<JobStatus>([
  "success",
  "failed",
  "canceled",
  "skipped",
]);

/** How many unapplied job ends `recover` reads at a time. */
const RECOVERY_BATCH = 500;

/** How many expired environments one auto-stop pass stops. */
const AUTO_STOP_BATCH = 100;

export class EnvironmentLifecycle {
  private readonly jobLanes = new KeyedSerial<number>();
  private readonly environmentLanes = new KeyedSerial<number>();

  constructor(private readonly options: EnvironmentLifecycleOptions) {}

  /** Stops the environment as GitLab's stop does; answers it as it is afterwards. */
  stop(environment: EnvironmentRecord, options: StopOptions = {}): Promise<EnvironmentRecord> {
    return this.environmentLanes.run(environment.id, async () => {
      const current = await this.options.store.environments.byId(environment.id);
      if (!current) return environment;
      return options.force ? this.forceStop(current) : this.stopWithActions(current);
    });
  }

  /** Stops the `available` environments whose `auto_stop_at` passed; answers how many. */
  async stopExpired(): Promise<number> {
    const { store, clock, onError } = this.options;
    const due = await store.environments.autoStopDue(clock(), AUTO_STOP_BATCH);
    let stopped = 0;
    for (const environment of due) {
      try {
        const after = await this.stop(environment);
        if (after.state !== "available") stopped += 1;
      } catch (error) {
        onError(error);
      }
    }
    return stopped;
  }

  /** Job rows a pipeline step changed: the ends of jobs move their environments. */
  follow(changes: readonly JobChange[]): void {
    for (const change of changes) {
      if (!change.status || !ENDED.has(change.status)) continue;
      this.jobLanes
        .run(change.id, () => this.jobEnded(change.id))
        .catch((error) => this.options.onError(error));
    }
  }

  /**
   * At start, before serving: applies the job ends a stopped server committed but did not
   * apply, in the order the jobs finished, then sets going the stop jobs of `stopping`
   * environments that none is on its way for. Answers how many of each it handled.
   */
  async recover(): Promise<{ jobEnds: number; stops: number }> {
    const { store, onError } = this.options;
    let jobEnds = 0;
    // Batches until none is left; one whose ends could not be applied is not asked for again.
    const failed = new Set<number>();
    for (;;) {
      const batch = (await store.jobEnvironments.ended(RECOVERY_BATCH + failed.size)).filter(
        (remembered) => !failed.has(remembered.jobId),
      );
      for (const { jobId } of batch) {
        try {
          await this.jobLanes.run(jobId, () => this.jobEnded(jobId));
          jobEnds += 1;
        } catch (error) {
          failed.add(jobId);
          onError(error);
        }
      }
      if (batch.length < RECOVERY_BATCH) break;
    }
    let stops = 0;
    for (const environment of await store.environments.stopping()) {
      try {
        const resumed = await this.environmentLanes.run(environment.id, () =>
          this.resumeStop(environment.id),
        );
        if (resumed) stops += 1;
      } catch (error) {
        onError(error);
      }
    }
    return { jobEnds, stops };
  }

  /** Resolves when what `follow` started for the job is written (the runner API, tests). */
  async idle(jobId: number): Promise<void> {
    await this.jobLanes.run(jobId, async () => undefined);
  }

  private async forceStop(environment: EnvironmentRecord): Promise<EnvironmentRecord> {
    if (environment.state === "stopped") return environment;
    return (
      (await this.change(environment, { state: "stopped", autoStopAt: undefined }, [
        "available",
        "stopping",
      ])) ?? environment
    );
  }

  /** GitLab stops only an available environment; a stopping or stopped one stays as it is. */
  private async stopWithActions(environment: EnvironmentRecord): Promise<EnvironmentRecord> {
    if (environment.state !== "available") return environment;
    const actions = await stopActionsOf(this.options.store, environment);
    // The stop is recorded first: a stop job that ends at once finds the environment stopping.
    const next: EnvironmentState = actions.length > 0 ? "stopping" : "stopped";
    const changed = await this.change(environment, { state: next, autoStopAt: undefined }, [
      "available",
    ]);
    if (!changed || actions.length === 0) return changed ?? environment;
    let started = 0;
    for (const action of actions) {
      if (await this.start(action)) started += 1;
    }
    if (started > 0) return changed;
    // No stop job could be set going: nothing would ever end `stopping`.
    return (await this.change(changed, { state: "stopped" }, ["stopping"])) ?? changed;
  }

  /** Sets one stop job going; true when it is queued, running or about to be. */
  private async start(action: StopAction): Promise<boolean> {
    const { store, clock, pipelines, onError } = this.options;
    const step = stopStepOf(action.status);
    if (step === "wait") return true;
    if (step === undefined) return false;
    try {
      const ref = { jobName: action.jobName, now: clock() };
      await pipelines.apply(
        action.pipelineId,
        step === "play" ? { type: "play", ...ref } : { type: "retry", ...ref },
      );
    } catch (error) {
      onError(error);
      return false;
    }
    const current = (await store.jobs.ofPipeline(action.pipelineId))
      .filter((job) => job.name === action.jobName && !job.retried)
      .sort((a, b) => a.id - b.id)
      .at(-1);
    // Played: the same job left `manual`; retried: a new attempt exists.
    return (
      current !== undefined && (current.id !== action.jobId || current.status !== action.status)
    );
  }

  /**
   * A stop was recorded (`stopping`) but none of its stop jobs is queued or running and none
   * ended since (an end would have moved the environment): the server stopped before it set
   * them going, so they are set going now. True when something was done.
   */
  private async resumeStop(environmentId: number): Promise<boolean> {
    const environment = await this.options.store.environments.byId(environmentId);
    if (environment?.state !== "stopping") return false;
    const actions = await stopActionsOf(this.options.store, environment);
    if (actions.some((action) => stopStepOf(action.status) === "wait")) return false;
    let started = 0;
    for (const action of actions) {
      if (await this.start(action)) started += 1;
    }
    if (started === 0) await this.change(environment, { state: "stopped" }, ["stopping"]);
    return true;
  }

  /** Applies the job's end to its environment once, then settles the job's note. */
  private async jobEnded(jobId: number): Promise<void> {
    const { store, clock } = this.options;
    const remembered = await rememberedEnvironment(store, jobId);
    if (!remembered || remembered.settledAt !== undefined) return;
    const job = await store.jobs.byId(jobId);
    if (!job || !ENDED.has(job.status)) return;
    await this.environmentLanes.run(remembered.environmentId, async () => {
      const environment = await store.environments.byId(remembered.environmentId);
      if (environment) await this.applyJobEnd(environment, job, remembered.action);
      await store.jobEnvironments.settle(jobId, clock());
    });
  }

  private async applyJobEnd(
    environment: EnvironmentRecord,
    job: JobRecord,
    action: string,
  ): Promise<void> {
    const { store, clock } = this.options;
    const status = job.status;
    // Lifetimes count from the job's end as stored, so applying the end again renews nothing.
    const endedAt = job.finishedAt ?? clock();
    switch (action) {
      case "start": {
        if (status !== "success") return;
        const deployment = (await store.deployments.ofJob(job.id)).find(
          (d) => d.environmentId === environment.id,
        );
        await this.change(environment, {
          state: "available",
          lastDeploymentJobId: job.id,
          ...autoStopChange(deployment?.autoStopIn, endedAt),
        });
        return;
      }
      case "stop":
        if (status === "success")
          await this.change(environment, { state: "stopped", autoStopAt: undefined }, [
            "available",
            "stopping",
          ]);
        else await this.change(environment, { state: "available" }, ["stopping"]);
        return;
      case "prepare":
      case "access": {
        if (status !== "success" || environment.state !== "available") return;
        const last = await store.deployments.lastSuccessful(environment.id);
        const renewed = autoStopChange(last?.autoStopIn, endedAt);
        if ("autoStopAt" in renewed) await this.change(environment, renewed, ["available"]);
        return;
      }
      default:
        // `verify` leaves the environment as it is.
        return;
    }
  }

  private change(
    environment: EnvironmentRecord,
    change: EnvironmentChange,
    from?: readonly EnvironmentState[],
  ): Promise<EnvironmentRecord | undefined> {
    return this.options.store.environments.update(
      environment.id,
      change,
      this.options.clock(),
      from,
    );
  }
}
