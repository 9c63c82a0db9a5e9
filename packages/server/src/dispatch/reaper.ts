/**
 * Jobs whose runner went silent: a running job with no trace or update for `silenceMs` fails
 * with `runner_system_failure` (GitLab drops such jobs after an hour, `no_updates_running`;
 * protocol §6.2), and the engine retries it when its `retry` allows that reason.
 */
import type { Coordinator } from "../pipelines/coordinator.js";
import type { Store } from "../store/types.js";

export interface ReaperOptions {
  store: Store;
  coordinator: Coordinator;
  clock: () => number;
  silenceMs: number;
  onError?: (error: unknown) => void;
}

/** One sweep; answers how many jobs it failed. */
export async function reapSilentJobs(options: ReaperOptions): Promise<number> {
  const silent = await options.store.jobs.stale(options.clock() - options.silenceMs);
  for (const job of silent) {
    await options.coordinator.finish(job, {
      state: "failed",
      failure_reason: "runner_system_failure",
    });
  }
  return silent.length;
}

/** Sweeps every `everyMs` until stopped. */
export function startReaper(options: ReaperOptions, everyMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reapSilentJobs(options)
      .catch((error) => options.onError?.(error))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
