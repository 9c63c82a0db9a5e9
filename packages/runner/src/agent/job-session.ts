/**
 * One job taken from a server, from pickup to the accepted final update
 * (runner-protocol.md §1.1 steps D–G, §2.8, §4.5):
 * 1. `PUT state=running` right after pickup (§2.8 "When the runner sends it", §8.2 item 4):
 *    an abort answer drops the job silently, `Job-Status: canceling` fails it as canceled
 *    without running it;
 * 2. runJob with a TraceSender as its log, artifacts over the server and a local directory
 *    cache; cancel and abort signals seen on trace and keep-alive answers (§1.4) cancel
 *    gracefully (after_script still runs) or hard-abort the run;
 * 3. unless the server aborted the job: flush the log, then the final `PUT` with state,
 *    failure_reason, exit_code and the log's checksum and size, repeated on 202 (§2.8), with the
 *    log resent on 412, and retried with back-off on transient errors until the server accepts
 *    it — a server restarting for a moment must not lose a job's result.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobPayload, JobResult } from "@conveyor/protocol";
import type { Executor } from "../executor.js";
import { runJob } from "../job/run-job.js";
import { parseBool } from "../script/variables.js";
import { projectPathOf } from "../workspace/project-path.js";
import { type JobUpdate, RunnerApiError, type RunnerClient } from "./client.js";
import { LocalCacheStore } from "../stores/local-cache-store.js";
import { ServerArtifactStore } from "./job-stores.js";
import type { RunnerInfo } from "./runner-info.js";
import { Backoff, type BackoffPolicy, sleep } from "./timing.js";
import { type TraceTiming, TraceSender } from "./trace-sender.js";

export interface SessionTiming extends TraceTiming {
  /** §4.5: back-off between failed final-update attempts (1 s doubling; we cap at 60 s). */
  finalUpdate: BackoffPolicy;
}

export const DEFAULT_FINAL_UPDATE_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

export interface JobSessionOptions {
  client: RunnerClient;
  job: JobPayload;
  executor: Executor;
  /** Sent with every job update (§2.8 `info`). */
  info: RunnerInfo;
  /** The runner's name as the job log shows it (`on <name>`). */
  runnerName: string;
  /** The runner token: hidden in the job log should a script print it. */
  runnerToken?: string;
  version: string;
  revision?: string;
  /** Host directory of this runner's build directories (`<buildsRoot>/<concurrentId>/…`). */
  buildsRoot: string;
  /** Host directory of this runner's local caches. */
  cacheDir: string;
  /** The build slot (`CI_CONCURRENT_ID`), unique among this runner's running jobs. */
  concurrentId: number;
  outputLimitBytes?: number;
  /** Hard abort from this host (shutdown timeout passed, or a second interrupt). */
  abortSignal?: AbortSignal;
  /** Stop retrying the final update (a second interrupt): one attempt is still made. */
  giveUpSignal?: AbortSignal;
  clock?: () => number;
  /** Diagnostics for the runner's own log; never holds tokens. */
  log?: (line: string) => void;
  timing?: Partial<SessionTiming>;
}

export interface JobSessionOutcome {
  /** How the job ended here; undefined when it was dropped before running. */
  result?: JobResult;
  /** The server accepted the final update. */
  reported: boolean;
  /** Why the server side ended the job (canceled, removed, token refused), when it did. */
  serverAbort?: string;
}

/** Consecutive 412 answers after which the final update stops resending the log. */
const MAX_TRACE_RESETS = 3;

export async function runJobSession(o: JobSessionOptions): Promise<JobSessionOutcome> {
  const { client, job } = o;
  const clock = o.clock ?? Date.now;
  const log = o.log ?? (() => undefined);
  const cancel = new AbortController();
  const abort = new AbortController();
  let serverAbort: string | undefined;
  const sender = new TraceSender({
    client,
    jobId: job.id,
    jobToken: job.token,
    info: o.info,
    debugTrace: debugTraceOf(job),
    clock,
    log,
    ...(o.outputLimitBytes !== undefined ? { outputLimitBytes: o.outputLimitBytes } : {}),
    ...(o.timing ? { timing: o.timing } : {}),
    onCancel: () => {
      log(`job ${job.id}: canceled on the server, stopping its script`);
      cancel.abort();
    },
    onAbort: (why) => {
      serverAbort ??= why;
      log(`job ${job.id}: aborting: ${why}`);
      abort.abort();
    },
  });

  // 1. Accept the job (§2.8 step 1).
  try {
    const ack = await client.updateJob(job.id, job.token, { state: "running" }, o.info);
    if (ack.kind === "aborted" || ack.kind === "conflict") {
      return {
        reported: false,
        serverAbort: `the server answered ${ack.kind === "conflict" ? 409 : ack.status}`,
      };
    }
    if ((ack.kind === "accepted" || ack.kind === "retry-later") && ack.remote === "abort") {
      return {
        reported: false,
        serverAbort: `the job is ${ack.jobStatus ?? "gone"} on the server`,
      };
    }
    sender.noteUpdate(ack);
  } catch (error) {
    // The job is ours (the server assigned it); a failed acknowledgement is not a reason to drop it.
    log(`job ${job.id}: accepting the job failed, running it anyway: ${messageOf(error)}`);
  }

  // 2. Run it.
  const downloadDir = await mkdtemp(join(tmpdir(), `conveyor-job-${job.id}-`));
  const hardAbort = o.abortSignal ? AbortSignal.any([abort.signal, o.abortSignal]) : abort.signal;
  sender.start();
  let result: JobResult;
  try {
    const outcome = await runJob({
      payload: job,
      executor: o.executor,
      trace: sender,
      artifacts: new ServerArtifactStore(client, downloadDir, hardAbort),
      cache: new LocalCacheStore(
        join(o.cacheDir, ...projectPathOf(job).split("/")),
        "key/cache.zip",
      ),
      buildsRoot: o.buildsRoot,
      signal: cancel.signal,
      abortSignal: hardAbort,
      clock,
      concurrentId: o.concurrentId,
      runner: {
        name: o.runnerName,
        version: o.version,
        ...(o.revision !== undefined ? { revision: o.revision } : {}),
      },
      ...(o.runnerToken ? { secrets: [o.runnerToken] } : {}),
    });
    result = outcome.result;
  } catch (error) {
    // runJob reports failures as results; reaching here is a bug, still reported as a failure.
    sender.write(Buffer.from(`\nERROR: Job failed (system failure): ${messageOf(error)}\n`));
    result = { state: "failed", failure_reason: "runner_system_failure" };
  } finally {
    await sender.stop();
    await rm(downloadDir, { recursive: true, force: true });
  }

  // A hard abort from this host (not a cancel from the server) is an interrupted runner.
  if (o.abortSignal?.aborted && !serverAbort && !cancel.signal.aborted && result.canceled) {
    result = { state: "failed", failure_reason: interruptedReason(job) };
  }

  // 3. Report it, unless the server already ended the job (§1.4: stop sending updates).
  if (serverAbort) return { result, reported: false, serverAbort };
  const update: JobUpdate = {
    state: result.state,
    ...(result.state === "failed" && result.failure_reason
      ? { failure_reason: result.failure_reason }
      : {}),
    ...(result.exit_code ? { exit_code: result.exit_code } : {}),
  };
  const reported = await sendFinalUpdate(
    o,
    sender,
    update,
    () => serverAbort,
    (why) => {
      serverAbort ??= why;
    },
  );
  return { result, reported, ...(serverAbort ? { serverAbort } : {}) };
}

/** §4.5: flush, then PUT the final state until the server accepts it. */
async function sendFinalUpdate(
  o: JobSessionOptions,
  sender: TraceSender,
  update: JobUpdate,
  aborted: () => string | undefined,
  noteAbort: (why: string) => void,
): Promise<boolean> {
  const { client, job } = o;
  const log = o.log ?? (() => undefined);
  const secondMs = o.timing?.secondMs ?? 1000;
  const backoff = new Backoff(o.timing?.finalUpdate ?? DEFAULT_FINAL_UPDATE_BACKOFF);
  sender.resetInterval();
  let traceResets = 0;
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    const flushed = await sender.flush();
    if (flushed === "aborted" || aborted()) return false;
    if (flushed === "failed") {
      failure = "the rest of the log could not be sent";
    } else {
      try {
        const answer = await client.updateJob(
          job.id,
          job.token,
          { ...update, output: { checksum: sender.checksum, bytesize: sender.bytesize } },
          o.info,
        );
        switch (answer.kind) {
          case "accepted":
            return true;
          case "retry-later":
            // §2.8 202: the server is still storing the log; it says when to ask again.
            attempt--;
            await sleep((answer.intervalSeconds ?? 1) * secondMs, o.giveUpSignal);
            if (o.giveUpSignal?.aborted) return false;
            continue;
          case "trace-invalid":
            if (++traceResets > MAX_TRACE_RESETS) {
              failure = "the server keeps refusing the log (412)";
              break;
            }
            sender.rewind();
            attempt--;
            continue;
          case "aborted":
            noteAbort(`the server answered ${answer.status}`);
            log(`job ${job.id}: the server no longer accepts updates (${answer.status})`);
            return false;
          case "conflict":
            noteAbort("the server answered 409");
            return false;
        }
      } catch (error) {
        if (error instanceof RunnerApiError && !error.transient) {
          log(`job ${job.id}: the final update was refused: ${error.message}`);
          return false;
        }
        failure = messageOf(error);
      }
    }
    if (o.giveUpSignal?.aborted) {
      log(`job ${job.id}: giving up on the final update: ${failure}`);
      return false;
    }
    const wait = backoff.next();
    log(
      `job ${job.id}: final update failed (attempt ${attempt}): ${failure}; ` +
        `retrying in ${Math.ceil(wait / 1000)} s`,
    );
    await sleep(wait, o.giveUpSignal);
  }
}

/**
 * A job this runner stopped while shutting down: `runner_interrupted` where the server knows it
 * (§5.2, newest runners), else `runner_system_failure` — always accepted, and what
 * `retry:when: runner_system_failure` retries.
 */
function interruptedReason(job: JobPayload): NonNullable<JobResult["failure_reason"]> {
  const listed = job.features?.failure_reasons ?? [];
  return (
    listed.includes("runner_interrupted") ? "runner_interrupted" : "runner_system_failure"
  ) as NonNullable<JobResult["failure_reason"]>;
}

/** `CI_DEBUG_TRACE` (the last definition wins, as in the runner). */
function debugTraceOf(job: JobPayload): boolean {
  const value = job.variables.filter((v) => v.key === "CI_DEBUG_TRACE").at(-1)?.value ?? "";
  return parseBool(value.toLowerCase()) === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
