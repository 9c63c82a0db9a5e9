/**
 * Checks configurations against GitLab's schema on a thread of its own (checks.ts), started as
 * the command starts: the thread loads and warms the validator while this one reads and
 * composes the configuration, and checks it while this one plans (LoadOptions.schemaCheck,
 * planSettled in @conveyor/pipeline). On a machine with a second core, validation then costs
 * the command little of its time.
 *
 * The thread is a convenience, never a dependency: if it cannot start, dies, or cannot be sent
 * the configuration, the check rejects, and settleSchema makes it on the command's own thread
 * (the answer is the same). The thread keeps the process alive only while a check waits for
 * its answer. This module does not load the validator itself: `main` starts the thread, and
 * every command would pay for loading it.
 */
import { Worker } from "node:worker_threads";
import type { SchemaCheck } from "@conveyor/pipeline";

export interface SchemaThread {
  check: SchemaCheck;
  /** Stops the thread (checks still waiting reject). */
  close(): void;
}

/**
 * Starts the thread from `workerFile` (worker.ts, or bundled-worker.ts bundled), which is given
 * `workerData`.
 */
export function startSchemaThread(workerFile: URL | string, workerData?: unknown): SchemaThread {
  let worker: Worker | undefined;
  let failure: Error | undefined;
  const waiting: Array<{ resolve(conforms: boolean): void; reject(error: Error): void }> = [];
  // Nothing waiting for an answer: the thread must not keep the process alive.
  const unrefWhenIdle = () => {
    if (waiting.length === 0) worker?.unref();
  };
  const fail = (error: Error) => {
    failure ??= error;
    for (const check of waiting.splice(0)) check.reject(failure);
    void worker?.terminate();
  };
  try {
    // The command's own Node flags (`--input-type`, say) may mean nothing to the thread's file.
    worker = new Worker(workerFile, { execArgv: [], workerData });
    worker.on("message", (conforms: unknown) => {
      waiting.shift()?.resolve(conforms === true);
      unrefWhenIdle();
    });
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the schema thread exited (${code})`)));
    // After the listeners: listening for messages refs the thread again.
    worker.unref();
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }
  return {
    check(config) {
      if (failure || !worker) return Promise.reject(failure);
      const answer = new Promise<boolean>((resolve, reject) => waiting.push({ resolve, reject }));
      // An answer on its way keeps the process alive.
      worker.ref();
      try {
        worker.postMessage(config);
      } catch (error) {
        // Something the structured clone cannot copy: no answer will come for it.
        waiting.pop()?.reject(error instanceof Error ? error : new Error(String(error)));
        unrefWhenIdle();
      }
      return answer;
    },
    close: () => fail(new Error("the schema thread was closed")),
  };
}
