/**
 * Runs `git` on this host for the runner core: its own process group (so an abort also stops
 * the helpers git starts), output streamed to the job log, an environment without the caller's
 * repository variables (`GIT_DIR`, … would point git at the wrong repository) and without
 * prompts (`GIT_TERMINAL_PROMPT=0`, as the runner sets for get_sources).
 */
import { spawn } from "node:child_process";

/** Variables that would redirect git away from the directory it runs in. */
const REPOSITORY_VARIABLES = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
  "GIT_CEILING_DIRECTORIES",
];

/** A copy of an environment without the variables that would point git at another repository. */
export function withoutRepositoryVariables(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const key of REPOSITORY_VARIABLES) delete env[key];
  return env;
}

/** This process's environment, cleaned for running git on a job's repository. */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = withoutRepositoryVariables(base);
  env.GIT_TERMINAL_PROMPT = "0";
  env.GCM_INTERACTIVE = "Never";
  return env;
}

export interface GitRun {
  /** The exit code; null when git was stopped by a signal (abort). */
  exitCode: number | null;
  /** Standard output, when `capture` was asked for. */
  stdout: Buffer;
}

export interface GitOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Output for the job log (stdout and stderr); dropped when omitted. */
  output?: (chunk: Buffer) => void;
  /** Keep stdout in the result instead of sending it to `output`. */
  capture?: boolean;
}

export function runGit(args: readonly string[], options: GitOptions): Promise<GitRun> {
  return runProcess("git", args, options);
}

/** Runs a program as runGit runs git (its own process group, killed on abort). */
export function runProcess(
  command: string,
  args: readonly string[],
  options: GitOptions,
): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      resolve({ exitCode: null, stdout: Buffer.alloc(0) });
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const captured: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      if (options.capture) captured.push(chunk);
      else options.output?.(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => options.output?.(chunk));
    const kill = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    options.signal.addEventListener("abort", kill, { once: true });
    child.on("error", (error) => {
      options.signal.removeEventListener("abort", kill);
      reject(error);
    });
    child.on("close", (code) => {
      options.signal.removeEventListener("abort", kill);
      resolve({ exitCode: code, stdout: Buffer.concat(captured) });
    });
  });
}
