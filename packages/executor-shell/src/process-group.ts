/**
 * Runs one process in its own process group and stops the whole group: on timeout and on
 * cancel with SIGTERM, then SIGKILL after a grace period; when the process ends by itself, what
 * it left running in the background gets the same treatment, so a `sleep 1000 &` never outlives
 * its step. The step's outcome does not wait for such leftovers, but the SIGKILL stays armed until
 * the group is empty (a leftover that ignores SIGTERM and holds no output pipe would otherwise
 * live on). The only I/O of the shell executor besides creating its builds directory.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { StepOutcome } from "@conveyor/runner/core";

export interface GroupRun {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: string;
  timeoutMs: number;
  signal: AbortSignal;
  output: (chunk: Uint8Array) => void;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Aborted when the group must stop at once: SIGKILL without the grace period. */
  killSignal?: AbortSignal;
}

/** A running group that can be stopped from outside (executor cleanup). */
export interface RunningGroup {
  done: Promise<StepOutcome>;
  kill(): void;
}

/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** Whether any process is left in the group (signal 0 only checks). */
function groupExists(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How often the group is checked for leftovers while the SIGKILL waits. */
const LEFTOVER_POLL_MS = 25;

/** The exit code a shell reports for a signal (128 + n). */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

export function startGroup(run: GroupRun): RunningGroup {
  let pid: number | undefined;
  let stopped: "timeout" | "cancel" | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let leftoverPoll: NodeJS.Timeout | undefined;

  const stop = (why: "timeout" | "cancel" | "sweep") => {
    if (why !== "sweep") stopped ??= why;
    if (killTimer) return;
    killGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => {
      clearInterval(leftoverPoll);
      killGroup(pid, "SIGKILL");
    }, run.killGraceMs);
  };

  /** Once the step is over: the SIGKILL stays armed while anything of the group is left. */
  const awaitLeftovers = () => {
    if (!killTimer) return;
    if (!groupExists(pid)) {
      clearTimeout(killTimer);
      return;
    }
    leftoverPoll = setInterval(() => {
      if (groupExists(pid)) return;
      clearInterval(leftoverPoll);
      clearTimeout(killTimer);
    }, LEFTOVER_POLL_MS);
  };

  const done = new Promise<StepOutcome>((resolve) => {
    if (run.signal.aborted) {
      resolve({ exitCode: null, timedOut: false, canceled: true });
      return;
    }
    let settled = false;
    const settle = (outcome: StepOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      awaitLeftovers();
      run.signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const onAbort = () => stop("cancel");
    const onKill = () => {
      stop("cancel");
      clearTimeout(killTimer);
      clearInterval(leftoverPoll);
      killGroup(pid, "SIGKILL");
    };
    const timer = setTimeout(() => stop("timeout"), Math.min(run.timeoutMs, MAX_TIMER_MS));

    const child = spawn(run.command, run.args, {
      cwd: run.cwd,
      env: run.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    pid = child.pid;
    run.signal.addEventListener("abort", onAbort, { once: true });
    if (run.killSignal?.aborted) onKill();
    else run.killSignal?.addEventListener("abort", onKill, { once: true });
    child.stdout.on("data", (chunk: Buffer) => run.output(chunk));
    child.stderr.on("data", (chunk: Buffer) => run.output(chunk));
    child.stdin.on("error", () => undefined); // the shell may exit before reading everything
    child.stdin.end(run.stdin);

    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // Children left in the background would keep the output open and outlive the step.
      stop("sweep");
    });
    child.on("error", (error) => {
      settle({ exitCode: null, timedOut: false, canceled: false, systemError: error.message });
    });
    child.on("close", (code, signal) => {
      const ended = exit ?? { code, signal };
      if (stopped === "timeout") settle({ exitCode: null, timedOut: true, canceled: false });
      else if (stopped === "cancel") settle({ exitCode: null, timedOut: false, canceled: true });
      else if (ended.code !== null) {
        settle({ exitCode: ended.code, timedOut: false, canceled: false });
      } else {
        settle({
          exitCode: signalExitCode(ended.signal ?? "SIGKILL"),
          timedOut: false,
          canceled: false,
        });
      }
    });
  });

  return { done, kill: () => stop("cancel") };
}
