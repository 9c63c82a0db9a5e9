/**
 * The runner agent's main loop, as gitlab-runner's `run` command works (runner-protocol.md §1.1
 * step C, §6.1): for every configured runner, `request_concurrency` workers ask
 * `POST jobs/request` (the server may hold the request: long polling), at most one request per
 * `check_interval` when there is no job, at once again after a job was received. A request is
 * only made while a job could start: at most `concurrent` jobs in all and `limit` per runner.
 * Jobs run in parallel, each in a JobSession. Failed requests back off exponentially.
 *
 * Shutdown: when `signal` aborts, no more jobs are requested (held requests are ended) and
 * running jobs may finish; after `shutdown_timeout` they are hard-aborted and still report
 * their result. When `abortSignal` aborts, running jobs are hard-aborted at once and their final
 * updates are tried once without retrying.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import type { JobPayload } from "@conveyor/protocol";
import type { Executor } from "../executor.js";
import { projectPathOf } from "../workspace/project-path.js";
import { RunnerClient, type RetryPolicy } from "./client.js";
import type { AgentConfig, RunnerEntry } from "./config.js";
import { type JobSessionOutcome, runJobSession, type SessionTiming } from "./job-session.js";
import { type RunnerInfo, runnerInfo } from "./runner-info.js";
import { Backoff, type BackoffPolicy, sleep } from "./timing.js";

/** Builds the executor a configured runner uses (the CLI plugs in shell and docker). */
export type ExecutorFactory = (runner: RunnerEntry) => Executor | Promise<Executor>;

export interface AgentTiming extends SessionTiming {
  /** Back-off after a failed job request: 1 s doubling up to 60 s. */
  requestBackoff: BackoffPolicy;
  /** HTTP retries inside one call (§1.3). */
  retry: RetryPolicy;
}

export interface AgentOptions {
  config: AgentConfig;
  /** Default builds and cache directories live here (the configuration file's folder). */
  baseDir: string;
  /** §2 `system_id` of this host. */
  systemId: string;
  executorFor: ExecutorFactory;
  /** Stop requesting jobs and let running ones finish (the first SIGTERM/SIGINT). */
  signal: AbortSignal;
  /** Abort running jobs now (a second signal). */
  abortSignal?: AbortSignal;
  version: string;
  revision?: string;
  /** One line per event: job start and finish, errors, shutdown. Never holds tokens. */
  log: (line: string) => void;
  clock?: () => number;
  /** Shorter timings for tests; `secondMs` also scales check_interval and shutdown_timeout. */
  timing?: Partial<AgentTiming>;
}

export interface AgentSummary {
  /** Jobs received. */
  jobs: number;
  /** Jobs whose final update the server accepted. */
  reported: number;
}

/** One configured runner while the agent runs. */
interface ActiveRunner {
  entry: RunnerEntry;
  label: string;
  client: RunnerClient;
  executor: Executor;
  info: RunnerInfo;
  buildsRoot: string;
  cacheDir: string;
  /** Build slots in use (`CI_CONCURRENT_ID`). */
  slots: Set<number>;
}

/** `concurrent` and each runner's `limit`, counted from the request on (§6.1). */
class Capacity {
  #total = 0;
  readonly #perRunner = new Map<ActiveRunner, number>();
  #waiters: (() => void)[] = [];

  constructor(private readonly concurrent: number) {}

  tryReserve(runner: ActiveRunner): boolean {
    const mine = this.#perRunner.get(runner) ?? 0;
    if (this.#total >= this.concurrent) return false;
    if (runner.entry.limit > 0 && mine >= runner.entry.limit) return false;
    this.#total++;
    this.#perRunner.set(runner, mine + 1);
    return true;
  }

  release(runner: ActiveRunner): void {
    this.#total--;
    this.#perRunner.set(runner, (this.#perRunner.get(runner) ?? 1) - 1);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next release, or when `signal` aborts. */
  waitForRelease(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      this.#waiters.push(done);
    });
  }
}

/** A short, stable, non-secret key for a runner: its builds folder name. */
function runnerKey(entry: RunnerEntry): string {
  return `runner-${createHash("sha256").update(entry.token).digest("hex").slice(0, 8)}`;
}

export async function runAgent(o: AgentOptions): Promise<AgentSummary> {
  const { config, log } = o;
  const clock = o.clock ?? Date.now;
  const secondMs = o.timing?.secondMs ?? 1000;
  const requestBackoff = o.timing?.requestBackoff ?? { initialMs: 1000, maxMs: 60_000 };
  if (config.runners.length === 0) throw new Error("no runners are configured");

  const runners: ActiveRunner[] = [];
  for (const entry of config.runners) {
    const executor = await o.executorFor(entry);
    const buildsBase = resolve(o.baseDir, entry.buildsDir ?? "builds");
    runners.push({
      entry,
      label: `runner "${entry.name}"`,
      client: new RunnerClient({
        url: entry.url,
        userAgent: `conveyor-runner ${o.version}`,
        ...(o.timing?.retry ? { retry: o.timing.retry } : {}),
      }),
      executor,
      info: runnerInfo({
        version: o.version,
        ...(o.revision !== undefined ? { revision: o.revision } : {}),
        executor: executor.name,
        shell: entry.shell ?? "bash",
      }),
      buildsRoot: join(buildsBase, runnerKey(entry)),
      cacheDir: resolve(o.baseDir, entry.cacheDir ?? "cache"),
      slots: new Set(),
    });
  }

  const capacity = new Capacity(config.concurrent);
  const stop = AbortSignal.any([o.signal, ...(o.abortSignal ? [o.abortSignal] : [])]);
  const hardAbort = new AbortController();
  const running = new Set<Promise<void>>();
  const summary: AgentSummary = { jobs: 0, reported: 0 };

  let shutdownTimer: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    if (running.size > 0 && !o.abortSignal?.aborted) {
      log(
        `stopping: waiting for ${running.size} running job(s) to finish ` +
          `(at most ${config.shutdownTimeout} s)`,
      );
    }
    shutdownTimer = setTimeout(() => {
      if (running.size > 0) log(`shutdown timeout: aborting ${running.size} running job(s)`);
      hardAbort.abort();
    }, config.shutdownTimeout * secondMs);
  };
  const onAbort = () => {
    if (running.size > 0) log(`aborting ${running.size} running job(s) now`);
    hardAbort.abort();
  };
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  if (o.abortSignal?.aborted) onAbort();
  else o.abortSignal?.addEventListener("abort", onAbort, { once: true });

  const startJob = (runner: ActiveRunner, job: JobPayload) => {
    summary.jobs++;
    let slot = 0;
    while (runner.slots.has(slot)) slot++;
    runner.slots.add(slot);
    log(`job ${job.id} started: ${job.job_info.name} (${projectPathOf(job)}) on ${runner.label}`);
    const session = runJobSession({
      client: runner.client,
      job,
      executor: runner.executor,
      info: runner.info,
      runnerName: runner.entry.name,
      runnerToken: runner.entry.token,
      version: o.version,
      ...(o.revision !== undefined ? { revision: o.revision } : {}),
      buildsRoot: runner.buildsRoot,
      cacheDir: runner.cacheDir,
      concurrentId: slot,
      ...(runner.entry.outputLimit !== undefined
        ? { outputLimitBytes: runner.entry.outputLimit * 1024 }
        : {}),
      abortSignal: hardAbort.signal,
      ...(o.abortSignal ? { giveUpSignal: o.abortSignal } : {}),
      clock,
      log,
      ...(o.timing ? { timing: o.timing } : {}),
    })
      .then((outcome) => {
        if (outcome.reported) summary.reported++;
        log(finishLine(job, outcome));
      })
      .catch((error: unknown) => {
        log(
          `job ${job.id} failed in the runner: ${error instanceof Error ? error.message : error}`,
        );
      })
      .finally(() => {
        runner.slots.delete(slot);
        capacity.release(runner);
        running.delete(session);
      });
    running.add(session);
  };

  const worker = async (runner: ActiveRunner) => {
    const backoff = new Backoff(requestBackoff);
    const checkIntervalMs = config.checkInterval * secondMs;
    let failing = false;
    while (!stop.aborted) {
      if (!capacity.tryReserve(runner)) {
        await capacity.waitForRelease(stop);
        continue;
      }
      const startedAt = clock();
      let answer;
      try {
        answer = await runner.client.requestJob({
          token: runner.entry.token,
          systemId: o.systemId,
          info: runner.info,
          signal: stop,
        });
      } catch (error) {
        capacity.release(runner);
        if (stop.aborted) break;
        const wait = backoff.next();
        failing = true;
        log(
          `${runner.label}: asking for a job failed: ${error instanceof Error ? error.message : error}` +
            `; retrying in ${Math.ceil(wait / 1000)} s`,
        );
        await sleep(wait, stop);
        continue;
      }
      if (answer.kind === "job") {
        backoff.reset();
        failing = false;
        // The reserved capacity passes to the job; ask again at once (§6.1).
        startJob(runner, answer.job);
        continue;
      }
      capacity.release(runner);
      if (answer.kind === "forbidden") {
        const wait = backoff.next();
        failing = true;
        log(
          `${runner.label}: the server refused the runner token (403); is the runner still ` +
            `registered? retrying in ${Math.ceil(wait / 1000)} s`,
        );
        await sleep(wait, stop);
        continue;
      }
      if (failing) log(`${runner.label}: the server answers again`);
      failing = false;
      backoff.reset();
      // 204 and 409: at most one request per check_interval (a held request already waited).
      await sleep(Math.max(0, checkIntervalMs - (clock() - startedAt)), stop);
    }
  };

  const workers: Promise<void>[] = [];
  for (const runner of runners) {
    for (let i = 0; i < Math.max(1, runner.entry.requestConcurrency); i++) {
      workers.push(worker(runner));
    }
  }
  try {
    await Promise.all(workers);
    while (running.size > 0) await Promise.all([...running]);
  } finally {
    clearTimeout(shutdownTimer);
    stop.removeEventListener("abort", onStop);
    o.abortSignal?.removeEventListener("abort", onAbort);
  }
  return summary;
}

/** `job 42 finished: failed (script_failure, exit code 1)` and the like. */
function finishLine(job: JobPayload, outcome: JobSessionOutcome): string {
  const head = `job ${job.id}`;
  if (!outcome.result) return `${head} dropped: ${outcome.serverAbort ?? "not accepted"}`;
  const r = outcome.result;
  let what =
    r.state === "success"
      ? "success"
      : `failed (${[r.failure_reason ?? "unknown_failure", ...(r.exit_code ? [`exit code ${r.exit_code}`] : [])].join(", ")})`;
  if (r.canceled) what = "canceled";
  if (outcome.serverAbort) return `${head} aborted: ${outcome.serverAbort}`;
  return outcome.reported
    ? `${head} finished: ${what}`
    : `${head} finished: ${what}; the server did not accept the result`;
}
