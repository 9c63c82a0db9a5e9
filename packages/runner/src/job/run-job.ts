/**
 * One job from JobPayload to JobResult, in gitlab-runner's stage order (`common/build.go`
 * `Run`, `executeScript`, `executePrepareScripts`, `executeUserScripts`, `executeAfterScript`):
 * prepare executor → prepare script → get sources (+ hooks) → restore cache → download
 * artifacts → step_script (and release) → after_script → archive cache → upload artifacts →
 * cleanup. Timeouts and cancels follow the runner:
 * - the job timeout (`runner_info.timeout`, 7200 s when ≤ 0) stops whatever runs; nothing runs
 *   after it (no after_script, no uploads) and the job fails with `job_execution_timeout`;
 * - `RUNNER_SCRIPT_TIMEOUT` stops the script steps only; after_script and uploads still run;
 * - a graceful cancel during the script steps stops them, then after_script runs with
 *   `CI_JOB_STATUS=canceled` and uploads `on_failure` run; before the script steps it stops the
 *   job; after them it is ignored;
 * - a hard abort stops everything;
 * - after_script has its own timeout (`RUNNER_AFTER_SCRIPT_TIMEOUT`, default 5 minutes) and its
 *   failure only warns unless `AFTER_SCRIPT_IGNORE_ERRORS=false`.
 * Docs: https://docs.gitlab.com/ci/runners/configure_runners/#set-script-and-after_script-timeouts,
 * https://docs.gitlab.com/ci/yaml/#after_script. This is the runner's I/O edge: it owns the
 * timers and the host files; time comes from the injected clock.
 */
import { mkdirSync } from "node:fs";
import { join, posix } from "node:path";
import type { JobPayload, JobResult } from "@conveyor/protocol";
// The stages' archive code loads on the first job that needs it (see artifacts/stages.ts).
import { ArtifactError, downloadArtifacts, uploadArtifacts } from "../artifacts/stages.js";
import { restoreCaches, saveCaches } from "../cache/stages.js";
import type { Executor, ExecutorSession, StepOutcome } from "../executor.js";
import type { ArtifactStore, CacheStore, TraceSink } from "../ports.js";
import {
  afterScript,
  afterScriptStep,
  hookCommands,
  hookScript,
  stageOfStep,
  stepScript,
  userSteps,
} from "../script/job-scripts.js";
import { prepareScript } from "../script/shell-script.js";
import {
  fileVariables,
  type JobVariables,
  maskedValues,
  parseBool,
  resolveJobVariables,
  type RunnerIdentity,
  tmpDirOf,
  variableValue,
} from "../script/variables.js";
import { JobTrace } from "../trace/job-trace.js";
import { runningWithLine, stageDescription, stageTimeoutWarning } from "../trace/log-format.js";
import { DEFAULT_TOKEN_PREFIXES } from "../trace/masker.js";
import { removeFileVariables, writeFileVariables } from "../workspace/file-variables.js";
import { getSources } from "../workspace/get-sources.js";
import { type GitSettings, gitSettingsOf } from "../workspace/git-settings.js";
import { projectPathOf } from "../workspace/project-path.js";
import { parseGoDuration } from "./durations.js";
import { exitMessage, failureText, type JobError, jobResultOf, statusOf } from "./job-errors.js";
import {
  artifactsToUpload,
  cachesToRestore,
  cachesToSave,
  dependenciesWithArtifacts,
} from "./stage-plan.js";

/** Runner `DefaultTimeout`: 2 hours when the payload gives none. */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 7200;
/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Runner `AfterScriptTimeout`. */
export const DEFAULT_AFTER_SCRIPT_TIMEOUT_MS = 5 * 60 * 1000;

export interface RunJobOptions {
  payload: JobPayload;
  executor: Executor;
  trace: TraceSink;
  artifacts: ArtifactStore;
  cache: CacheStore;
  /** Host directory holding the build directories (`<buildsRoot>/<concurrentId>/<project path>`). */
  buildsRoot: string;
  /** Graceful cancel: stops the script steps; after_script and on_failure uploads still run. */
  signal?: AbortSignal;
  /** Hard abort: stops everything at once (no after_script, no uploads). */
  abortSignal?: AbortSignal;
  /** Milliseconds since the epoch (section timestamps and durations). */
  clock: () => number;
  /** A local working tree copied over the checkout (uncommitted changes included). */
  workingTree?: string;
  /**
   * The build slot (`CI_CONCURRENT_ID`): jobs in the same slot reuse `<buildsRoot>/<slot>`, which
   * is what makes `GIT_STRATEGY: fetch` fetch into the previous checkout. Jobs running at the
   * same time need different slots. Default 0.
   */
  concurrentId?: number;
  /** How the runner names itself; `arch` defaults to this host's. */
  runner?: Partial<RunnerIdentity>;
  /** More values to hide in the log. */
  secrets?: readonly string[];
}

export interface StageTiming {
  /** `prepare_executor`, `get_sources`, `step_script`, … */
  stage: string;
  durationMs: number;
}

export interface JobRunOutcome {
  result: JobResult;
  /** From start to the final log line, by the injected clock. */
  durationMs: number;
  /** The stages that ran, in order. */
  stages: StageTiming[];
}

/** `CI_RUNNER_EXECUTABLE_ARCH` for this host, Go style (`linux/amd64`). */
export function hostArch(): string {
  const arch: Record<string, string> = { x64: "amd64", ia32: "386", arm: "arm", arm64: "arm64" };
  return `${process.platform}/${arch[process.arch] ?? process.arch}`;
}

/** Everything the log must hide: masked values, the job token and other credentials. */
function secretsOf(payload: JobPayload, variables: JobVariables, extra: readonly string[]) {
  return [
    ...maskedValues(variables),
    ...payload.variables.filter((v) => v.masked).map((v) => v.value),
    payload.token,
    ...(payload.dependencies ?? []).map((d) => d.token),
    ...(payload.credentials ?? []).map((c) => c.password),
    ...extra,
  ].filter((value) => value.trim() !== "");
}

function tokenPrefixesOf(payload: JobPayload): string[] {
  const features = payload.features as { token_mask_prefixes?: unknown } | undefined;
  const extra = Array.isArray(features?.token_mask_prefixes)
    ? features.token_mask_prefixes.filter((p): p is string => typeof p === "string").slice(0, 10)
    : [];
  return [...DEFAULT_TOKEN_PREFIXES, ...extra];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A timeout variable: its duration, the default when unset, or undefined when invalid. */
function timeoutSetting(variables: JobVariables, key: string): number | undefined {
  const value = variableValue(variables, key);
  if (value === "") return undefined;
  const ms = parseGoDuration(value);
  return ms !== undefined && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : undefined;
}

type Stop = "timeout" | "abort" | "cancel";

export async function runJob(o: RunJobOptions): Promise<JobRunOutcome> {
  const { payload, executor, clock } = o;
  const startedAt = clock();
  const stages: StageTiming[] = [];
  const runner: RunnerIdentity = {
    version: o.runner?.version ?? "dev",
    arch: o.runner?.arch ?? hostArch(),
    ...(o.runner?.revision !== undefined ? { revision: o.runner.revision } : {}),
    ...(o.runner?.name !== undefined ? { name: o.runner.name } : {}),
  };
  const timeoutSeconds =
    payload.runner_info.timeout > 0 ? payload.runner_info.timeout : DEFAULT_JOB_TIMEOUT_SECONDS;
  const jobTimeoutMs = timeoutSeconds * 1000;
  const concurrentId = o.concurrentId ?? 0;
  const hostBuildsDir = join(o.buildsRoot, String(concurrentId));
  const projectPath = projectPathOf(payload);
  const hostProjectDir = join(hostBuildsDir, ...projectPath.split("/"));
  const hostTmpDir = tmpDirOf(hostProjectDir);
  const variablesFor = (buildsDir: string, projectDir: string) =>
    resolveJobVariables({
      payload,
      executorName: executor.name,
      buildsDir,
      projectDir,
      concurrentId,
      timeoutSeconds,
      runner,
    });

  const trace = new JobTrace({
    sink: o.trace,
    phrases: secretsOf(payload, variablesFor(hostBuildsDir, hostProjectDir), o.secrets ?? []),
    tokenPrefixes: tokenPrefixesOf(payload),
    clock,
    sections: payload.features?.trace_sections === true,
  });

  // The job context: its timeout, a hard abort, or a cancel before the script steps.
  const job = new AbortController();
  let jobStop: Stop | undefined;
  const stopJob = (why: Stop) => {
    jobStop ??= why;
    job.abort();
  };
  // The script context: also RUNNER_SCRIPT_TIMEOUT and a graceful cancel during the steps.
  let script: AbortController | undefined;
  let scriptStop: "timeout" | "cancel" | undefined;
  let phase: "before" | "script" | "after" = "before";
  const onCancel = () => {
    if (phase === "before") stopJob("cancel");
    else if (phase === "script" && script) {
      scriptStop ??= "cancel";
      script.abort();
    }
  };
  // A hard abort also tells the executor to skip its grace period.
  const hard = new AbortController();
  const onAbort = () => {
    hard.abort();
    stopJob("abort");
  };
  const jobTimer = setTimeout(() => stopJob("timeout"), Math.min(jobTimeoutMs, MAX_TIMER_MS));
  o.signal?.addEventListener("abort", onCancel);
  o.abortSignal?.addEventListener("abort", onAbort);
  if (o.abortSignal?.aborted) stopJob("abort");
  if (o.signal?.aborted) stopJob("cancel");

  const remainingMs = () => Math.max(1, jobTimeoutMs - (clock() - startedAt));
  const stopError = (stop: Stop): JobError =>
    stop === "timeout" ? { kind: "timeout", timeoutMs: jobTimeoutMs } : { kind: "canceled" };

  let error: JobError | undefined;
  let session: ExecutorSession | undefined;
  let files: { key: string; value: string }[] = [];
  let filesRemoved = false;
  /** Warns once about the stage the job timeout interrupted. */
  let timeoutWarned = false;

  const timed = async (stage: string, body: () => Promise<void>) => {
    const t0 = clock();
    try {
      await body();
    } finally {
      stages.push({ stage, durationMs: clock() - t0 });
    }
  };
  /** A stage in its section; the job timeout warning follows the section, as in the runner. */
  const stage = async (
    name: string,
    body: () => Promise<void>,
    header = stageDescription(name),
  ) => {
    await timed(name, () => trace.section(name, header, body));
    if (jobStop === "timeout" && !timeoutWarned) {
      timeoutWarned = true;
      trace.warning(stageTimeoutWarning(name));
    }
    if (jobStop) error ??= stopError(jobStop);
  };

  /** What a step's outcome means for the job. */
  const stepError = (outcome: StepOutcome, budget: "job" | "script"): JobError | undefined => {
    if (outcome.systemError !== undefined) return { kind: "system", message: outcome.systemError };
    if (jobStop) return stopError(jobStop);
    if (budget === "script" && scriptStop) {
      return scriptStop === "timeout" ? { kind: "script-timeout" } : { kind: "canceled" };
    }
    if (outcome.timedOut) {
      // The executor's own timer: the budget it was given ran out.
      if (budget === "job") {
        stopJob("timeout");
        return stopError("timeout");
      }
      if (budget === "script") return { kind: "script-timeout" };
    }
    if (outcome.canceled) return { kind: "canceled" };
    if (outcome.exitCode === 0) return undefined;
    if (outcome.exitCode === null) {
      return { kind: "system", message: "the step ended without an exit code" };
    }
    return {
      kind: "exit",
      exitCode: outcome.exitCode,
      message: exitMessage(executor.name, outcome.exitCode),
    };
  };

  /**
   * For executors whose job cannot see the host's build directory: set when the core changed
   * files there (sources, caches, artifacts, file variables) since the job last received them,
   * and when a step ran since the host last received the job's files.
   */
  let hostChanged = true;
  let jobChanged = false;

  const run = async (
    s: ExecutorSession,
    name: string,
    body: string,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<StepOutcome> => {
    if (s.workspace && hostChanged) {
      try {
        await s.workspace.toJob(signal);
        hostChanged = false;
      } catch (e) {
        if (signal.aborted) return { exitCode: null, timedOut: false, canceled: true };
        return {
          exitCode: null,
          timedOut: false,
          canceled: false,
          systemError: `copying the build directory into the job: ${messageOf(e)}`,
        };
      }
    }
    jobChanged = true;
    return s.runStep({
      name,
      script: body,
      timeoutMs: Math.max(1, Math.min(timeoutMs, remainingMs())),
      signal,
      killSignal: hard.signal,
      output: (chunk) => trace.write(chunk),
    });
  };

  trace.write(runningWithLine(runner.version, runner.revision));
  if (runner.name) trace.line(`  on ${runner.name}`);

  try {
    if (jobStop) error = stopError(jobStop);

    // prepare_executor
    if (!error) {
      await stage(
        "prepare_executor",
        async () => {
          try {
            // Synchronous: an asynchronous recursive mkdir costs this process ~20 times more CPU.
            mkdirSync(hostBuildsDir, { recursive: true });
            session = await executor.prepare({
              payload,
              hostBuildsDir,
              log: (line) => trace.line(line),
              signal: job.signal,
            });
          } catch (e) {
            error = jobStop ? stopError(jobStop) : { kind: "system", message: messageOf(e) };
          }
        },
        `Preparing the "${executor.name}" executor`,
      );
    }
    const s = session;
    if (!s) return finish();

    const projectDir = posix.join(s.jobBuildsDir, projectPath);
    const variables = variablesFor(s.jobBuildsDir, projectDir);
    trace.addSecrets(maskedValues(variables));
    files = fileVariables(variables);

    // prepare_script
    let prepared = false;
    if (!error) {
      await stage("prepare_script", async () => {
        try {
          await writeFileVariables(hostTmpDir, files);
          hostChanged = true;
        } catch (e) {
          error = { kind: "system", message: messageOf(e) };
          return;
        }
        if (s.hostName !== undefined) {
          trace.write(`Running on ${s.hostName}...\n`);
          return;
        }
        const outcome = await run(s, "prepare_script", prepareScript(), job.signal, jobTimeoutMs);
        const failure = stepError(outcome, "job");
        if (failure?.kind === "exit") {
          error = {
            ...failure,
            message:
              `prepare environment: ${failure.message}. Check ` +
              "https://docs.gitlab.com/runner/shells/#shell-profile-loading for more information",
          };
        } else error = failure;
      });
      prepared = !error;
    }

    // get_sources (+ hooks)
    if (!error) {
      await stage("get_sources", async () => {
        error = await getSourcesStage(s, variables, projectDir);
      });
      hostChanged = true;
    }

    // restore_cache
    if (!error && cachesToRestore(payload)) {
      await stage("restore_cache", async () => {
        hostChanged = true;
        try {
          await restoreCaches({
            job: payload,
            projectDir: hostProjectDir,
            store: o.cache,
            log: (line) => trace.write(`${line}\n`),
          });
        } catch (e) {
          trace.warning(`Failed to extract cache: ${messageOf(e)}`);
        }
      });
    }

    // download_artifacts
    if (!error && dependenciesWithArtifacts(payload)) {
      await stage("download_artifacts", async () => {
        hostChanged = true;
        try {
          await downloadArtifacts({
            job: payload,
            projectDir: hostProjectDir,
            store: o.artifacts,
            log: (line) => trace.write(`${line}\n`),
          });
        } catch (e) {
          error =
            e instanceof ArtifactError
              ? { kind: "failure", reason: "missing_dependency_failure", message: e.message }
              : { kind: "system", message: messageOf(e) };
        }
      });
    }

    // step_script, release, …, then after_script
    if (!error) await userScripts(s, variables, projectDir);

    // The job's files back to the host, where caches and artifacts are collected.
    if (prepared && !jobStop && s.workspace && jobChanged) {
      await timed("download_build_dir", async () => {
        try {
          await s.workspace?.fromJob(job.signal);
        } catch (e) {
          if (jobStop) return;
          trace.warning(`Failed to copy the build directory from the job: ${messageOf(e)}`);
          error ??= { kind: "system", message: messageOf(e) };
        }
      });
    }

    // archive_cache, upload_artifacts
    if (prepared && !jobStop) {
      const succeeded = error === undefined;
      if (cachesToSave(payload, succeeded)) {
        await stage(succeeded ? "archive_cache" : "archive_cache_on_failure", async () => {
          try {
            await saveCaches({
              job: payload,
              projectDir: hostProjectDir,
              store: o.cache,
              jobSucceeded: succeeded,
              log: (line) => trace.write(`${line}\n`),
              tmpDir: hostTmpDir,
            });
          } catch (e) {
            trace.warning(`Failed to create cache: ${messageOf(e)}`);
          }
        });
      }
      if (!jobStop && artifactsToUpload(payload, succeeded)) {
        const name = succeeded ? "upload_artifacts_on_success" : "upload_artifacts_on_failure";
        await stage(name, async () => {
          try {
            await uploadArtifacts({
              job: payload,
              projectDir: hostProjectDir,
              store: o.artifacts,
              jobSucceeded: succeeded,
              log: (line) => trace.write(`${line}\n`),
              tmpDir: hostTmpDir,
            });
          } catch (e) {
            error ??=
              e instanceof ArtifactError
                ? { kind: "failure", reason: "script_failure", message: e.message }
                : { kind: "system", message: messageOf(e) };
          }
        });
      }
    }

    // cleanup_file_variables
    if (files.length > 0 && !jobStop) {
      await stage("cleanup_file_variables", async () => {
        await removeFileVariables(hostTmpDir, files);
        filesRemoved = true;
      });
    }
    return finish();
  } finally {
    clearTimeout(jobTimer);
    o.signal?.removeEventListener("abort", onCancel);
    o.abortSignal?.removeEventListener("abort", onAbort);
  }

  async function getSourcesStage(
    s: ExecutorSession,
    variables: JobVariables,
    projectDir: string,
  ): Promise<JobError | undefined> {
    let settings: GitSettings;
    try {
      settings = gitSettingsOf(payload, variables);
    } catch (e) {
      return { kind: "system", message: messageOf(e) };
    }
    if (settings.attempts < 1 || settings.attempts > 10) {
      return {
        kind: "system",
        message: "number of attempts out of the range [1, 10] for stage: get_sources",
      };
    }
    const withRepository = settings.strategy === "clone" || settings.strategy === "fetch";
    const pre = withRepository ? hookCommands(payload, "pre_get_sources_script") : [];
    const post = withRepository ? hookCommands(payload, "post_get_sources_script") : [];
    let failure: JobError | undefined;
    for (let attempt = 0; attempt < settings.attempts; attempt++) {
      failure = await getSourcesOnce(s, variables, projectDir, settings, pre, post);
      if (!failure || jobStop || failure.kind === "system") break;
    }
    return failure;
  }

  async function getSourcesOnce(
    s: ExecutorSession,
    variables: JobVariables,
    projectDir: string,
    settings: GitSettings,
    pre: string[],
    post: string[],
  ): Promise<JobError | undefined> {
    if (pre.length > 0) {
      const body = hookScript(pre, variables, s.jobBuildsDir);
      const outcome = await run(s, "pre_get_sources_script", body, job.signal, jobTimeoutMs);
      const failure = stepError(outcome, "job");
      if (failure) return failure;
    }
    try {
      hostChanged = true;
      const result = await getSources({
        payload,
        settings,
        projectDir: hostProjectDir,
        tmpDir: hostTmpDir,
        ...(o.workingTree !== undefined ? { workingTree: o.workingTree } : {}),
        log: { write: (chunk) => trace.write(chunk), info: (text) => trace.info(text) },
        signal: job.signal,
        userAgent: `conveyor ${runner.version} ${runner.arch}`,
      });
      if (jobStop) return stopError(jobStop);
      if (!result.ok) {
        const exitCode = result.exitCode ?? 1;
        return { kind: "exit", exitCode, message: exitMessage(executor.name, exitCode) };
      }
    } catch (e) {
      return jobStop ? stopError(jobStop) : { kind: "system", message: messageOf(e) };
    }
    if (post.length > 0) {
      const body = hookScript(post, variables, projectDir);
      const outcome = await run(s, "post_get_sources_script", body, job.signal, jobTimeoutMs);
      return stepError(outcome, "job");
    }
    return undefined;
  }

  async function userScripts(s: ExecutorSession, variables: JobVariables, projectDir: string) {
    const scriptTimeoutMs = timeoutSetting(variables, "RUNNER_SCRIPT_TIMEOUT");
    const scriptController = new AbortController();
    script = scriptController;
    const scriptSignal = AbortSignal.any([job.signal, scriptController.signal]);
    const scriptTimer =
      scriptTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            scriptStop ??= "timeout";
            scriptController.abort();
          }, scriptTimeoutMs);
    const scriptStarted = clock();
    phase = "script";
    try {
      for (const step of userSteps(payload)) {
        const name = stageOfStep(step);
        let stopped = false;
        await stage(name, async () => {
          const budget =
            scriptTimeoutMs === undefined
              ? jobTimeoutMs
              : Math.max(1, scriptTimeoutMs - (clock() - scriptStarted));
          const outcome = await run(
            s,
            name,
            stepScript(step, variables, projectDir),
            scriptSignal,
            budget,
          );
          error = stepError(outcome, scriptTimeoutMs === undefined ? "job" : "script");
          stopped = error?.kind === "script-timeout";
        });
        if (stopped) trace.warning(stageTimeoutWarning(name));
        if (error) break;
      }
    } finally {
      clearTimeout(scriptTimer);
      phase = "after";
    }
    if (error?.kind === "canceled" && !jobStop)
      trace.warning("script canceled externally (UI, API)");

    const after = afterScriptStep(payload);
    if (!after || jobStop) return;
    const afterTimeoutMs =
      timeoutSetting(variables, "RUNNER_AFTER_SCRIPT_TIMEOUT") ?? DEFAULT_AFTER_SCRIPT_TIMEOUT_MS;
    const afterController = new AbortController();
    let afterTimedOut = false;
    const afterTimer = setTimeout(() => {
      afterTimedOut = true;
      afterController.abort();
    }, afterTimeoutMs);
    let afterFailure: string | undefined;
    let afterExit: number | undefined;
    try {
      await stage("after_script", async () => {
        const outcome = await run(
          s,
          "after_script",
          afterScript(after, variables, projectDir, statusOf(error)),
          AbortSignal.any([job.signal, afterController.signal]),
          afterTimeoutMs,
        );
        if (jobStop) return;
        if (outcome.systemError !== undefined) afterFailure = outcome.systemError;
        else if (outcome.timedOut || afterTimedOut) {
          afterTimedOut = true;
          afterFailure = "context deadline exceeded";
        } else if (outcome.exitCode !== 0) {
          afterExit = outcome.exitCode ?? 1;
          afterFailure = exitMessage(executor.name, afterExit);
        }
      });
    } finally {
      clearTimeout(afterTimer);
    }
    if (jobStop || afterFailure === undefined) return;
    if (afterTimedOut) trace.warning(stageTimeoutWarning("after_script"));
    const ignore = parseBool(variableValue(variables, "AFTER_SCRIPT_IGNORE_ERRORS")) ?? true;
    if (ignore) {
      trace.warning(`after_script failed, but job will continue unaffected: ${afterFailure}`);
    } else if (!error) {
      error =
        afterExit !== undefined
          ? { kind: "exit", exitCode: afterExit, message: afterFailure }
          : { kind: "system", message: afterFailure };
    }
  }

  async function finish(): Promise<JobRunOutcome> {
    // The job's stages are over: later timeouts and cancels no longer change its outcome.
    clearTimeout(jobTimer);
    o.signal?.removeEventListener("abort", onCancel);
    o.abortSignal?.removeEventListener("abort", onAbort);
    if (!filesRemoved) await removeFileVariables(hostTmpDir, files);
    if (session) {
      const t0 = clock();
      await session.cleanup().catch(() => undefined);
      stages.push({ stage: "cleanup", durationMs: clock() - t0 });
    }
    // A job timeout or abort decides the outcome even when it hit a late stage.
    if (jobStop) error = stopError(jobStop);
    if (!error) trace.info("Job succeeded");
    else if (error.kind === "system")
      trace.error(`Job failed (system failure): ${failureText(error)}`);
    else trace.error(`Job failed: ${failureText(error)}`);
    trace.end();
    return { result: jobResultOf(error, payload), durationMs: clock() - startedAt, stages };
  }
}
