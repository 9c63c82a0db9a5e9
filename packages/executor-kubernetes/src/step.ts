/**
 * Runs one step's script in the build container through the exec API: the job's shell reads the
 * script on stdin (see shell.ts `stepStdin`), stdout and stderr stream to the step's output as
 * they come, the exit code comes from the exec status channel.
 *
 * The exec API cannot kill what it started (closing the connection leaves the process running),
 * so a timeout or cancel runs a second exec that kills the step's processes through the pid the
 * step recorded, and waits (bounded) for the step's exec to end; a hard abort (`killSignal`)
 * sends the kill and returns at once. The Docker executor's SIGKILL of the job container is the
 * model: no grace period.
 */
import type { StepOutcome } from "@conveyor/runner";
import type { PodExec } from "./exec.js";
import { BUILD_CONTAINER } from "./pod-spec.js";
import { KILL_STEP_SCRIPT, stepStdin } from "./shell.js";
import { sleep } from "./pod-wait.js";

export interface ScriptRun {
  namespace: string;
  pod: string;
  /** The job's shell, by path (`/bin/sh`). */
  shellPath: string;
  script: string;
  /** Where the step records its shell's pid. */
  pidFile: string;
  /** Milliseconds; 0 or less: no limit. */
  timeoutMs: number;
  signal: AbortSignal;
  killSignal?: AbortSignal;
  output: (chunk: Uint8Array) => void;
}

/** How long a stopped step's exec may take to end after its processes were killed. */
const KILL_SETTLE_MS = 10_000;
/** Between two kills while the step's exec has not ended (its pid file may not exist yet). */
const KILL_RETRY_MS = 250;

export async function runScript(exec: PodExec, run: ScriptRun): Promise<StepOutcome> {
  if (run.signal.aborted || run.killSignal?.aborted) {
    return { exitCode: null, timedOut: false, canceled: true };
  }
  const connection = new AbortController();
  const execution = exec
    .run({
      namespace: run.namespace,
      pod: run.pod,
      container: BUILD_CONTAINER,
      command: [run.shellPath],
      stdin: stepStdin(run.script, run.pidFile),
      stdout: run.output,
      stderr: run.output,
      signal: connection.signal,
    })
    .catch((error: unknown) => ({
      exitCode: null,
      aborted: false,
      error: error instanceof Error ? error.message : String(error),
    }));

  let timer: NodeJS.Timeout | undefined;
  const listeners: (() => void)[] = [];
  const stopped = new Promise<"timeout" | "cancel" | "kill">((resolve) => {
    if (run.timeoutMs > 0) timer = setTimeout(() => resolve("timeout"), run.timeoutMs);
    const on = (signal: AbortSignal | undefined, why: "cancel" | "kill") => {
      if (!signal) return;
      const listener = () => resolve(why);
      signal.addEventListener("abort", listener, { once: true });
      listeners.push(() => signal.removeEventListener("abort", listener));
    };
    on(run.killSignal, "kill");
    on(run.signal, "cancel");
  });
  const reason = await Promise.race([execution.then(() => "exited" as const), stopped]);
  clearTimeout(timer);
  for (const remove of listeners) remove();

  if (reason === "exited") {
    const result = await execution;
    if (result.exitCode !== null) {
      return { exitCode: result.exitCode, timedOut: false, canceled: false };
    }
    return {
      exitCode: null,
      timedOut: false,
      canceled: false,
      systemError: `running the step in the build container failed: ${result.error ?? "no exit code"}`,
    };
  }

  const kill = () =>
    exec.run({
      namespace: run.namespace,
      pod: run.pod,
      container: BUILD_CONTAINER,
      command: [run.shellPath, "-c", KILL_STEP_SCRIPT, "conveyor-kill", run.pidFile],
    });
  if (reason === "kill") {
    void kill().catch(() => undefined);
    connection.abort();
  } else {
    await stopStep(execution, kill);
    connection.abort();
  }
  return { exitCode: null, timedOut: reason === "timeout", canceled: reason !== "timeout" };
}

/** Kills until the step's exec ends, for at most KILL_SETTLE_MS; never throws. */
async function stopStep(execution: Promise<unknown>, kill: () => Promise<unknown>): Promise<void> {
  let ended = false;
  void execution.finally(() => {
    ended = true;
  });
  const until = Date.now() + KILL_SETTLE_MS;
  while (!ended && Date.now() < until) {
    await kill().catch(() => undefined);
    await Promise.race([execution, sleep(KILL_RETRY_MS)]);
  }
}
