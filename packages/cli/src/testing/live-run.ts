/**
 * Test kit for `conveyor run` while it runs: the real command in a child process of its own
 * process group (so a test can signal it as a terminal's Ctrl-C does), its output read as it
 * comes, its report read when it is done. Every run is stopped and its folders removed by
 * `stopLiveRuns` (call it from the test file's `after`).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunReport } from "../run/run-report.js";
import { CONVEYOR_BIN, repository } from "./cli-process.js";

/** Polls `check` every `intervalMs` until it holds; fails after `timeoutMs`, naming `what`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** YAML for a job's script lines under `key`, each quoted so `:` and quotes in shell stay shell. */
export function scriptLines(key: string, commands: string[]): string[] {
  return [`  ${key}:`, ...commands.map((command) => `    - ${JSON.stringify(command)}`)];
}

export interface LiveRunOptions {
  /** The command's environment (this process's when omitted). */
  env?: NodeJS.ProcessEnv;
  /** How long `jobPrinted` waits for a line. */
  waitTimeoutMs: number;
  /** How long `exitCode` waits for the command to end. */
  exitTimeoutMs: number;
}

const started: LiveRun[] = [];
const folders: string[] = [];

/** Stops every run still going (a test that failed midway) and removes their folders. */
export function stopLiveRuns(): void {
  for (const run of started.splice(0)) run.kill();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** `conveyor run ARGS` in a new repository holding `ci` as its `.gitlab-ci.yml`. */
export class LiveRun {
  readonly reportFile: string;
  readonly #child: ChildProcess;
  readonly #exit: Promise<number | null>;
  readonly #options: LiveRunOptions;
  #stdout = "";
  #stderr = "";
  #running = true;

  constructor(ci: string[], args: string[], options: LiveRunOptions) {
    this.#options = options;
    const repo = repository({ ".gitlab-ci.yml": `${ci.join("\n")}\n` });
    folders.push(repo);
    const scratch = mkdtempSync(join(tmpdir(), "conveyor-live-run-"));
    folders.push(scratch);
    this.reportFile = join(scratch, "report.json");
    this.#child = spawn(
      process.execPath,
      [CONVEYOR_BIN, "run", "--report", this.reportFile, ...args],
      {
        cwd: repo,
        env: options.env ?? process.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#child.stdout!.setEncoding("utf8").on("data", (text: string) => (this.#stdout += text));
    this.#child.stderr!.setEncoding("utf8").on("data", (text: string) => (this.#stderr += text));
    this.#exit = new Promise((resolve, reject) => {
      this.#child.on("error", reject);
      this.#child.on("close", (code) => {
        this.#running = false;
        resolve(code);
      });
    });
    started.push(this);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get output(): string {
    return this.#stdout + this.#stderr;
  }

  /** Waits until a line of a job's own output (`name | text`) is printed. */
  async jobPrinted(job: string, text: string): Promise<void> {
    const line = new RegExp(`^${job} +\\| ${text}$`, "m");
    await until(
      `'${job} | ${text}' in:\n${this.output}`,
      () => {
        if (!this.#running) throw new Error(`conveyor exited early:\n${this.output}`);
        return line.test(this.#stdout);
      },
      this.#options.waitTimeoutMs,
    );
  }

  /** Signals the whole process group, as a terminal does on Ctrl-C. */
  interrupt(signal: NodeJS.Signals = "SIGINT"): void {
    process.kill(-this.pid, signal);
  }

  /** The exit code; fails when the command is still running after `exitTimeoutMs`. */
  async exitCode(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`conveyor still running:\n${this.output}`)),
        this.#options.exitTimeoutMs,
      );
    });
    try {
      return await Promise.race([this.#exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  report(): RunReport {
    assert.ok(existsSync(this.reportFile), `no report written:\n${this.output}`);
    return JSON.parse(readFileSync(this.reportFile, "utf8")) as RunReport;
  }

  statuses(): Record<string, string> {
    return Object.fromEntries(this.report().jobs.map((job) => [job.name, job.status]));
  }

  /** Stops the group at once if it is still running. */
  kill(): void {
    if (!this.#running) return;
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
