/**
 * Running a tool as a process and timing it, the same way for every tool and benchmark.
 *
 * The process's stdout and stderr go to files, not pipes: a process that calls process.exit()
 * (gitlab-ci-local does) can lose the tail of a large output written to a pipe, a file is what
 * `tool > out.txt` gives a user, and a job's leftover background process cannot hold a pipe
 * open and stall the measurement. The wall time ends when the process exits.
 *
 * Each process starts in a process group of its own, so that a time limit (or Ctrl-C on the
 * benchmark) ends the tool together with the jobs it started.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ROOT } from "./paths.mjs";

let scratchDir;
let counter = 0;
const running = new Set();

/** A temporary folder for this benchmark run, removed by removeScratch(). */
export function scratch() {
  scratchDir ??= mkdtempSync(join(tmpdir(), "conveyor-bench-out-"));
  return scratchDir;
}

export function removeScratch() {
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
}

function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

let interruptHandler;
function watchInterrupts() {
  if (interruptHandler) return;
  interruptHandler = (signal) => {
    for (const pid of running) killGroup(pid);
    removeScratch();
    process.stderr.write(`\nbench: stopped by ${signal}\n`);
    process.exit(130);
  };
  process.once("SIGINT", interruptHandler);
  process.once("SIGTERM", interruptHandler);
}

/**
 * Runs `command args` to completion in `cwd` and times it.
 * Resolves to { elapsed (ms), status, signal, timedOut, timeoutMs, error, stdout, stderr }; `elapsed` is
 * absent when the process could not be started. With `timeoutMs`, the whole process group is
 * killed when the time is up, and `timedOut` is true.
 */
export async function runProcess(command, args, { cwd, env = process.env, timeoutMs } = {}) {
  watchInterrupts();
  const base = join(scratch(), `process-${++counter}`);
  const outFd = openSync(`${base}.out`, "w");
  const errFd = openSync(`${base}.err`, "w");
  let timedOut = false;
  let ended;
  try {
    ended = await new Promise((resolvePromise) => {
      const start = performance.now();
      let child;
      try {
        child = spawn(command, args, { cwd, env, stdio: ["ignore", outFd, errFd], detached: true });
      } catch (error) {
        resolvePromise({ error });
        return;
      }
      if (child.pid) running.add(child.pid);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              killGroup(child.pid);
            }, timeoutMs);
      const finish = (result) => {
        clearTimeout(timer);
        running.delete(child.pid);
        resolvePromise(result);
      };
      child.once("error", (error) => finish({ error }));
      child.once("exit", (status, signal) =>
        finish({ status, signal, elapsed: performance.now() - start }),
      );
    });
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const read = (file) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  const result = {
    ...ended,
    timedOut,
    timeoutMs,
    stdout: read(`${base}.out`),
    stderr: read(`${base}.err`),
  };
  rmSync(`${base}.out`, { force: true });
  rmSync(`${base}.err`, { force: true });
  return result;
}

/**
 * The environment for a tool in a benchmark: an empty HOME (so a user's settings, such as
 * ~/.gitlab-ci-local/variables.yml, cannot change the result), no colours, plus `extra`.
 */
export function isolatedEnv(home, extra = {}) {
  return { ...process.env, HOME: home, NO_COLOR: "1", FORCE_COLOR: "0", ...extra };
}

/** A short account of why a process failed: its exit, and the first and last lines it wrote. */
export function describeFailure(what, result) {
  if (result.error) return `${what}: ${result.error.message}`;
  const output = (result.stderr || result.stdout || "").trim();
  const lines = output.split("\n");
  const shown = lines.length > 10 ? [...lines.slice(0, 6), "…", ...lines.slice(-3)] : lines;
  let hint = "";
  if (/ERR_MODULE_NOT_FOUND/.test(output) && output.includes(join(ROOT, "packages"))) {
    hint =
      "\n(the build under packages/*/dist looks incomplete: run `npm run build` and try again)";
  }
  const how = result.timedOut
    ? `was stopped by the time limit (${result.timeoutMs / 1000} s)`
    : `exited with ${result.status ?? result.signal}`;
  return `${what} ${how}${output ? `:\n${shown.join("\n")}` : ""}${hint}`;
}
