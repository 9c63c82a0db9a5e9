/**
 * Sends a running job's log to the server as gitlab-runner does (runner-protocol.md §4):
 * masked bytes from runJob's TraceSink are kept in a TraceBuffer; every update interval (3 s,
 * or what `X-GitLab-Trace-Update-Interval` says, at most 15 min) the next ≤ 1 MiB increment goes
 * out as `PATCH jobs/:id/trace` (§4.2); a 416 moves the offset to the server's length; when no
 * PATCH succeeded for the force-send interval (30 s) a `PUT jobs/:id state=running` keeps the
 * job alive (§4.3). Every answer is checked for cancel (`Job-Status: canceling`) and abort (403,
 * `Job-Status: canceled|failed`) (§1.4) and reported through callbacks. `flush()` sends what is
 * left before the final update (§4.5).
 */
import type { TraceSink } from "../ports.js";
import {
  type PatchTraceResult,
  type RemoteJobState,
  type RunnerClient,
  type UpdateJobResult,
} from "./client.js";
import type { RunnerInfo } from "./runner-info.js";
import { sleep } from "./timing.js";
import { TraceBuffer } from "./trace-buffer.js";

export interface TraceTiming {
  /** §4.2 / §6.1: the starting update interval, 3 s. */
  intervalMs: number;
  /** §4.2: the largest interval a server can ask for, 15 min. */
  maxIntervalMs: number;
  /** §4.3: keep-alive after this long without a successful PATCH or PUT, 30 s. */
  forceSendIntervalMs: number;
  /** Milliseconds per second of a server's interval header; 1000 (tests shrink it). */
  secondMs: number;
  /** §4.2: largest PATCH body, 1 MiB. */
  patchLimitBytes: number;
}

export const DEFAULT_TRACE_TIMING: TraceTiming = {
  intervalMs: 3000,
  maxIntervalMs: 15 * 60 * 1000,
  forceSendIntervalMs: 30_000,
  secondMs: 1000,
  patchLimitBytes: 1024 * 1024,
};

export interface TraceSenderOptions {
  client: RunnerClient;
  jobId: number;
  jobToken: string;
  /** Sent with keep-alive updates. */
  info?: RunnerInfo;
  /** `CI_DEBUG_TRACE` is on: sent as `debug_trace=true` (§2.9). */
  debugTrace?: boolean;
  outputLimitBytes?: number;
  timing?: Partial<TraceTiming>;
  clock?: () => number;
  /** `Job-Status: canceling`: stop the script, still run after_script. Called once. */
  onCancel?: () => void;
  /** The job is dead server-side: kill it now, send nothing more. Called once. */
  onAbort?: (why: string) => void;
  /** Diagnostics for the runner's own log (never tokens). */
  log?: (line: string) => void;
}

/** How one `flush()` went. */
export type FlushOutcome =
  /** The server has every byte. */
  | "sent"
  /** The job was aborted server-side (403, canceled, failed). */
  | "aborted"
  /** 404: the job is gone. */
  | "gone"
  /** A network or server error; try again later. */
  | "failed";

/** Same offset answered by 416 this many times in a row: the flush gives up for now. */
const MAX_RESYNCS_AT_SAME_OFFSET = 3;

export class TraceSender implements TraceSink {
  readonly #o: TraceSenderOptions;
  readonly #timing: TraceTiming;
  readonly #clock: () => number;
  readonly #buffer: TraceBuffer;
  /** Bytes the server acknowledged. */
  #offset = 0;
  #intervalMs: number;
  #lastContact: number;
  #remote: RemoteJobState = "running";
  #gone = false;
  #canceled = false;
  #loop: Promise<void> | undefined;
  readonly #stopLoop = new AbortController();
  /** Serialises requests: the loop and flush never talk to the server at the same time. */
  #busy: Promise<unknown> = Promise.resolve();

  constructor(options: TraceSenderOptions) {
    this.#o = options;
    this.#timing = { ...DEFAULT_TRACE_TIMING, ...options.timing };
    this.#clock = options.clock ?? Date.now;
    this.#buffer = new TraceBuffer(options.outputLimitBytes);
    this.#intervalMs = this.#timing.intervalMs;
    this.#lastContact = this.#clock();
  }

  /** TraceSink: bytes already masked by the runner core. */
  write(chunk: Uint8Array): void {
    this.#buffer.append(chunk);
  }

  /** `crc32:…` of the whole log (§2.8 `output.checksum`). */
  get checksum(): string {
    return this.#buffer.checksum;
  }

  /** Size of the whole log in bytes (§2.8 `output.bytesize`). */
  get bytesize(): number {
    return this.#buffer.size;
  }

  /** Bytes the server has acknowledged. */
  get sentOffset(): number {
    return this.#offset;
  }

  /** The current update interval in milliseconds. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** What the server last said about the job. */
  get remote(): RemoteJobState {
    return this.#remote;
  }

  /** The whole log (for tests and diagnostics). */
  bytes(): Uint8Array {
    return this.#buffer.bytes();
  }

  /** Starts the send loop (§4.2). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops the send loop and waits for a request in flight. */
  async stop(): Promise<void> {
    this.#stopLoop.abort();
    await this.#loop;
    await this.#busy;
  }

  /** Applies an `X-GitLab-Trace-Update-Interval` value (seconds) from any answer (§4.4). */
  applyInterval(seconds: number | undefined): void {
    if (seconds === undefined || seconds <= 0) return;
    this.#intervalMs = Math.min(this.#timing.maxIntervalMs, seconds * this.#timing.secondMs);
  }

  /** §4.5: back to the default interval before the final update, so the server can steer it. */
  resetInterval(): void {
    this.#intervalMs = this.#timing.intervalMs;
  }

  /** §2.8 412: the server wants the whole log again. */
  rewind(): void {
    this.#offset = 0;
    this.#gone = false;
  }

  /** Records a job update's answer: contact time, interval, cancel or abort (§1.4, §4.3). */
  noteUpdate(result: UpdateJobResult): void {
    if (result.kind === "accepted" || result.kind === "retry-later") {
      this.#lastContact = this.#clock();
      this.applyInterval(result.intervalSeconds);
      this.#noteRemote(result.remote, result.jobStatus);
    } else if (result.kind === "aborted") {
      this.#noteRemote("abort", result.jobStatus, result.status);
    }
  }

  /**
   * Sends everything not yet acknowledged (§4.5): 416 resyncs and continues; abort and 404
   * stop; any other failure ends this attempt with "failed".
   */
  async flush(): Promise<FlushOutcome> {
    return this.#exclusive(async () => {
      let resyncs = 0;
      let lastResyncAt = -1;
      while (this.#offset < this.#buffer.size) {
        if (this.#remote === "abort") return "aborted";
        if (this.#gone) return "gone";
        let result: PatchTraceResult;
        try {
          result = await this.#patch();
        } catch (error) {
          this.#o.log?.(`job ${this.#o.jobId}: sending the log failed: ${messageOf(error)}`);
          return "failed";
        }
        if (result.kind === "aborted") return "aborted";
        if (result.kind === "gone") return "gone";
        if (result.kind === "range-mismatch") {
          resyncs = result.nextOffset === lastResyncAt ? resyncs + 1 : 1;
          lastResyncAt = result.nextOffset;
          if (resyncs >= MAX_RESYNCS_AT_SAME_OFFSET) return "failed";
        }
      }
      return this.#remote === "abort" ? "aborted" : "sent";
    });
  }

  async #run(): Promise<void> {
    const signal = this.#stopLoop.signal;
    while (!signal.aborted) {
      await sleep(this.#intervalMs, signal);
      if (signal.aborted || this.#remote === "abort") return;
      await this.#exclusive(() => this.#tick());
    }
  }

  /** One round of §4.2 and §4.3. */
  async #tick(): Promise<void> {
    if (this.#stopLoop.signal.aborted) return;
    if (!this.#gone && this.#offset < this.#buffer.size) {
      try {
        await this.#patch();
      } catch (error) {
        this.#o.log?.(`job ${this.#o.jobId}: sending the log failed: ${messageOf(error)}`);
      }
    }
    if (this.#remote === "abort") return;
    if (this.#clock() - this.#lastContact >= this.#timing.forceSendIntervalMs) {
      try {
        const result = await this.#o.client.updateJob(
          this.#o.jobId,
          this.#o.jobToken,
          { state: "running", output: { checksum: this.checksum, bytesize: this.bytesize } },
          this.#o.info,
        );
        this.noteUpdate(result);
      } catch (error) {
        this.#o.log?.(`job ${this.#o.jobId}: keep-alive update failed: ${messageOf(error)}`);
      }
    }
  }

  /** One PATCH of the next increment; updates offset, interval and remote state. */
  async #patch(): Promise<PatchTraceResult> {
    const start = this.#offset;
    const end = Math.min(this.#buffer.size, start + this.#timing.patchLimitBytes);
    // A copy: the buffer may grow (and move) while the request is in flight.
    const bytes = Buffer.from(this.#buffer.slice(start, end));
    const result = await this.#o.client.patchTrace(this.#o.jobId, this.#o.jobToken, start, bytes, {
      ...(this.#o.debugTrace ? { debugTrace: true } : {}),
    });
    switch (result.kind) {
      case "accepted":
        this.#offset = Math.min(result.nextOffset, this.#buffer.size);
        this.#lastContact = this.#clock();
        this.applyInterval(result.intervalSeconds);
        this.#noteRemote(result.remote, result.jobStatus);
        break;
      case "range-mismatch":
        // §2.9: the server keeps its length; continue from there.
        this.#offset = Math.min(result.nextOffset, this.#buffer.size);
        this.applyInterval(result.intervalSeconds);
        this.#noteRemote(result.remote, result.jobStatus);
        this.#o.log?.(
          `job ${this.#o.jobId}: the server has ${result.nextOffset} bytes of the log, resending from there`,
        );
        break;
      case "aborted":
        this.#noteRemote("abort", result.jobStatus, result.status);
        break;
      case "gone":
        this.#gone = true;
        break;
    }
    return result;
  }

  #noteRemote(remote: RemoteJobState, jobStatus: string | undefined, status?: number): void {
    if (remote === "abort") {
      if (this.#remote === "abort") return;
      this.#remote = "abort";
      const why =
        jobStatus !== undefined
          ? `the job is ${jobStatus} on the server`
          : `the server answered ${status ?? 403}`;
      this.#o.onAbort?.(why);
      return;
    }
    if (remote === "cancel") {
      this.#remote = "cancel";
      if (!this.#canceled) {
        this.#canceled = true;
        this.#o.onCancel?.();
      }
    }
  }

  #exclusive<T>(body: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(body, body);
    this.#busy = next.catch(() => undefined);
    return next;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
