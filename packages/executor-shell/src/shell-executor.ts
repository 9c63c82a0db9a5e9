/**
 * The shell executor: job scripts run by bash (sh when there is no bash) on this host, in the
 * host's builds directory (the job sees the same paths), each step in its own process group.
 * gitlab-runner `executors/shell` (builds directory shared with the host, `Using Shell (bash)
 * executor...`); docs: https://docs.gitlab.com/runner/executors/shell/
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import type {
  Executor,
  ExecutorSession,
  PrepareRequest,
  StepOutcome,
  StepRequest,
} from "@conveyor/runner/core";
import { ExecutorError } from "@conveyor/runner/core";
import { type RunningGroup, startGroup } from "./process-group.js";
import {
  chooseShell,
  type ShellCommand,
  type ShellName,
  stepEnvironment,
  stepInvocation,
} from "./shell-command.js";

export interface ShellExecutorOptions {
  /**
   * The shell: `bash` or `sh` from PATH, or an explicit command (e.g.
   * `{ shell: "sh", command: "busybox", args: ["sh"] }`). Default: bash when on PATH, else sh.
   */
  shell?: ShellName | ShellCommand;
  /** Added to the environment the steps inherit from this process. */
  env?: NodeJS.ProcessEnv;
  /** Start a login shell (`-l`), loading profiles as gitlab-runner's shell executor does. */
  loginShell?: boolean;
  /** Between SIGTERM and SIGKILL when a step is stopped. Default 5 s. */
  killGraceMs?: number;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function resolveShell(choice: ShellExecutorOptions["shell"]): ShellCommand {
  if (typeof choice === "object") return choice;
  if (choice === "sh") return { shell: "sh", command: "sh", args: [] };
  const found = chooseShell(process.env.PATH, isExecutable);
  if (choice === "bash" && found.shell !== "bash") {
    throw new ExecutorError("bash was not found on PATH");
  }
  return found;
}

class ShellSession implements ExecutorSession {
  readonly jobBuildsDir: string;
  readonly hostBuildsDir: string;
  readonly shell: ShellName;
  readonly hostName?: string;
  private readonly running = new Set<RunningGroup>();
  private closed = false;

  constructor(
    buildsDir: string,
    private readonly command: ShellCommand,
    private readonly options: ShellExecutorOptions,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.jobBuildsDir = buildsDir;
    this.hostBuildsDir = buildsDir;
    this.shell = command.shell;
    // A login shell reads profiles that may print or fail: then prepare_script really runs.
    if (options.loginShell !== true) this.hostName = hostname();
  }

  async runStep(step: StepRequest): Promise<StepOutcome> {
    if (this.closed) {
      return {
        exitCode: null,
        timedOut: false,
        canceled: false,
        systemError: "the session was cleaned up",
      };
    }
    const invocation = stepInvocation(this.command, step.script, this.options.loginShell === true);
    const group = startGroup({
      ...invocation,
      cwd: this.hostBuildsDir,
      env: this.env,
      timeoutMs: step.timeoutMs,
      signal: step.signal,
      ...(step.killSignal ? { killSignal: step.killSignal } : {}),
      output: step.output,
      killGraceMs: this.options.killGraceMs ?? 5000,
    });
    this.running.add(group);
    try {
      return await group.done;
    } finally {
      this.running.delete(group);
    }
  }

  async cleanup(): Promise<void> {
    this.closed = true;
    const groups = [...this.running];
    for (const group of groups) group.kill();
    await Promise.all(groups.map((group) => group.done.catch(() => undefined)));
  }
}

export class ShellExecutor implements Executor {
  readonly name = "shell";

  /** The steps' environment, computed once: this process's, cleaned, plus the options' extras. */
  readonly #env: NodeJS.ProcessEnv;
  /** The shell, found on PATH by the first job (PATH is this process's, as the environment). */
  #command: ShellCommand | undefined;

  constructor(private readonly options: ShellExecutorOptions = {}) {
    this.#env = stepEnvironment(process.env, options.env);
  }

  async prepare(request: PrepareRequest): Promise<ExecutorSession> {
    if (request.signal.aborted) throw new ExecutorError("canceled");
    const command = (this.#command ??= resolveShell(this.options.shell));
    try {
      // Synchronous: the folder exists after the first job, and an asynchronous recursive mkdir
      // costs this process ~20 times more CPU than this one system call.
      mkdirSync(request.hostBuildsDir, { recursive: true });
    } catch (error) {
      throw new ExecutorError(
        `cannot create the builds directory: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    request.log(`Using Shell (${command.shell}) executor...`);
    return new ShellSession(request.hostBuildsDir, command, this.options, this.#env);
  }
}
