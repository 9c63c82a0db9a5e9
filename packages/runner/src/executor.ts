/**
 * The one contract every executor (shell, docker, kubernetes) implements:
 * `prepare → runStep* → cleanup`. The runner core does everything else (sources, caches,
 * artifacts, trace, masking) and hands the executor finished shell scripts.
 */
import type { JobPayload } from "@conveyor/protocol";

/** Where the job's files are: as the job's shell sees them and as this host sees them. */
export interface BuildDirs {
  /** `CI_BUILDS_DIR` inside the job, e.g. `/builds` in a container. */
  jobBuildsDir: string;
  /** The same directory on this host; the runner core checks out sources and collects files here. */
  hostBuildsDir: string;
}

export interface PrepareRequest {
  payload: JobPayload;
  /** A host directory reserved for this job; the executor maps it into the job as it sees fit. */
  hostBuildsDir: string;
  /** Lines for the job log (e.g. "Pulling docker image …"); already masked by the caller. */
  log: (line: string) => void;
  signal: AbortSignal;
}

export interface StepRequest {
  /** `prepare_script`, `step_script`, `after_script`, … (used for logs and file names). */
  name: string;
  /** A complete script for a POSIX shell (bash or sh); it sets its own variables. */
  script: string;
  /** Milliseconds; the executor stops the step when it runs longer. */
  timeoutMs: number;
  /** Aborted on cancel: the executor stops the step's processes and returns. */
  signal: AbortSignal;
  /**
   * Aborted on a hard abort (a second interrupt): stop at once, without the grace period a
   * cancel gives the step's processes. `signal` is aborted too.
   */
  killSignal?: AbortSignal;
  /** Raw output, stdout and stderr interleaved as produced. */
  output: (chunk: Uint8Array) => void;
}

export interface StepOutcome {
  /** The script's exit code; null when it did not exit on its own (killed, timed out, failed to start). */
  exitCode: number | null;
  timedOut: boolean;
  canceled: boolean;
  /** Why the step could not run at all (executor failure, not a script failure). */
  systemError?: string;
}

/**
 * How a job whose build directory is not this host's (a pod, possibly on another node) gets the
 * files the runner core prepared on the host, and gives back what its steps wrote. The core
 * checks out sources, restores caches and downloads artifacts under `hostBuildsDir`, calls
 * `toJob` before the next step that runs after such a change, and calls `fromJob` after the last
 * step (after_script included) before it archives caches and uploads artifacts.
 */
export interface WorkspaceTransfer {
  /** Makes the job's `jobBuildsDir` hold what `hostBuildsDir` holds now. */
  toJob(signal: AbortSignal): Promise<void>;
  /** Makes `hostBuildsDir` hold what the job's `jobBuildsDir` holds now. */
  fromJob(signal: AbortSignal): Promise<void>;
}

export interface ExecutorSession extends BuildDirs {
  /** The shell the scripts run in. */
  readonly shell: "bash" | "sh";
  /**
   * Set when steps run on this host in a plain (non-login) shell: the prepare_script stage would
   * only print `Running on <host name>...`, so the runner prints it without starting a shell.
   */
  readonly hostName?: string;
  /**
   * Set when the job cannot see `hostBuildsDir` directly (Kubernetes); unset when the job's
   * build directory is the host directory or a mount of it (shell, Docker).
   */
  readonly workspace?: WorkspaceTransfer;
  runStep(step: StepRequest): Promise<StepOutcome>;
  /** Removes everything prepare created. Idempotent; never throws. */
  cleanup(): Promise<void>;
}

export interface Executor {
  /** `shell`, `docker`, `kubernetes`: reported as the runner's executor. */
  readonly name: string;
  /** Throws ExecutorError when the environment cannot be prepared (image missing, …). */
  prepare(request: PrepareRequest): Promise<ExecutorSession>;
}

/** The executor could not prepare or run the job: a runner system failure, not a script failure. */
export class ExecutorError extends Error {
  override readonly name = "ExecutorError";
}
