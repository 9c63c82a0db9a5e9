/**
 * HTTP client for GitLab's runner API (`<url>/api/v4/…`), as gitlab-runner's network client
 * speaks it (runner-protocol.md §1–§2): registration and runner tokens, job requests, job
 * updates, the incremental trace and artifact transfer. Node's global fetch (undici), no other
 * dependency.
 *
 * One client serves one configured runner: it remembers the server's queue version
 * (`X-GitLab-Last-Update`) and echoes it as `last_update` on the next job request (§2.7).
 * Error messages name the endpoint and the status, never a token: the tokens sent with a request
 * are also scrubbed from any server message quoted in an error.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, openAsBlob } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { JobPayload } from "@conveyor/protocol";
import type { RunnerInfo } from "./runner-info.js";
import { Backoff, type BackoffPolicy, sleep } from "./timing.js";

/** A call to the runner API failed. `status` is undefined for network errors. */
export class RunnerApiError extends Error {
  override readonly name = "RunnerApiError";

  constructor(
    /** `POST jobs/request`, `PUT jobs/42`, … */
    readonly endpoint: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(`${endpoint}: ${message}`);
  }

  /** Worth trying again later: a network error, a timeout, throttling or a server error (§1.3). */
  get transient(): boolean {
    return this.status === undefined || isRetryableStatus(this.status);
  }
}

/** §1.3: statuses the runner's client retries. */
export function isRetryableStatus(status: number): boolean {
  return [408, 429, 500, 502, 503, 504].includes(status) || status >= 512;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Tries in all, the first one included. */
  attempts: number;
}

/** §1.3: 5 attempts, 100 ms doubling up to 60 s. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialMs: 100, maxMs: 60_000 };

export interface RunnerClientOptions {
  /** The server as configured (`https://gitlab.example.com`); `/api/v4/` is appended (§1.3). */
  url: string;
  /** `User-Agent`; default `conveyor-runner`. */
  userAgent?: string;
  /** Retries of throttled and failed requests (§1.3). */
  retry?: RetryPolicy;
}

/** §2.1 request. */
export interface RegisterParams {
  registrationToken: string;
  description?: string;
  tags?: readonly string[];
  runUntagged?: boolean;
  locked?: boolean;
  paused?: boolean;
  accessLevel?: "not_protected" | "ref_protected";
  /** Seconds. */
  maximumTimeout?: number;
  maintenanceNote?: string;
  info?: RunnerInfo;
}

/** §2.1 / §2.2 answer. */
export interface RunnerCredentials {
  /** The runner's id on the server (absent when an old GitLab answers verify with plain `200`). */
  id?: number;
  token: string;
  /** ISO 8601, or null when the token does not expire. */
  tokenExpiresAt?: string | null;
}

export interface VerifyParams {
  token: string;
  systemId?: string;
  info?: RunnerInfo;
}

export interface JobRequestParams {
  token: string;
  systemId?: string;
  info?: RunnerInfo;
  /** Ends a held (long-polled) request, e.g. when the agent shuts down. */
  signal?: AbortSignal;
}

/** §2.7 answers the runner acts on. Other statuses throw RunnerApiError. */
export type JobRequestResult =
  | { kind: "job"; job: JobPayload }
  /** 204: nothing to do. */
  | { kind: "none" }
  /** 409: lost a race for a job; ask again. */
  | { kind: "conflict" }
  /** 403: the runner token is not (or no longer) valid. */
  | { kind: "forbidden" };

/**
 * §1.4: what the server wants done with a running job, from a PATCH or PUT answer.
 * `cancel` is a graceful cancel (`Job-Status: canceling`); `abort` means the job is dead
 * server-side (403, or `Job-Status: canceled|failed`).
 */
export type RemoteJobState = "running" | "cancel" | "abort";

/** §1.4 table. */
export function remoteJobState(status: number, jobStatus: string | undefined): RemoteJobState {
  if (status === 403 || jobStatus === "canceled" || jobStatus === "failed") return "abort";
  if (jobStatus === "canceling") return "cancel";
  return "running";
}

/** §2.8 request body (the token and `info` are added by the client). */
export interface JobUpdate {
  state: "pending" | "running" | "success" | "failed";
  failure_reason?: string;
  /** Omitted when 0, as the runner does (§5.3). */
  exit_code?: number;
  output?: { checksum: string; bytesize: number };
}

/**
 * §2.8 answers. Statuses not listed here throw RunnerApiError. For a running job, `remote`
 * carries the §1.4 cancel/abort signal of `Job-Status`.
 */
export type UpdateJobResult =
  /** 200: accepted. */
  | { kind: "accepted"; remote: RemoteJobState; jobStatus?: string; intervalSeconds?: number }
  /** 202: the server is not ready for the final state; send it again after `intervalSeconds`. */
  | { kind: "retry-later"; remote: RemoteJobState; jobStatus?: string; intervalSeconds?: number }
  /** 412: the server found the log invalid; resend it from offset 0, then the update. */
  | { kind: "trace-invalid" }
  /** 403 or 404: the job token no longer works; stop working on the job. */
  | { kind: "aborted"; status: number; jobStatus?: string }
  /** 409: another runner manager owns the job (two-phase pickup). */
  | { kind: "conflict" };

/** §2.9 answers. Statuses not listed here throw RunnerApiError. */
export type PatchTraceResult =
  /** 202: stored; `nextOffset` is the server's log length. */
  | {
      kind: "accepted";
      nextOffset: number;
      remote: RemoteJobState;
      jobStatus?: string;
      intervalSeconds?: number;
    }
  /** 416: the server has `nextOffset` bytes; resend from there. */
  | {
      kind: "range-mismatch";
      nextOffset: number;
      remote: RemoteJobState;
      jobStatus?: string;
      intervalSeconds?: number;
    }
  /** 403 or `Job-Status: canceled|failed`: the job must be aborted. */
  | { kind: "aborted"; status: number; jobStatus?: string }
  /** 404: the job is gone; stop sending its log. */
  | { kind: "gone" };

/** §2.11 query parameters. */
export interface ArtifactUpload {
  artifactType: string;
  artifactFormat: "zip" | "gzip" | "raw";
  expireIn?: string | null;
  /** The multipart file name; default the file's base name. */
  filename?: string;
}

/** §2.11: 400/405 are retried up to 3 tries, 503 (and other server errors) up to 6. */
const UPLOAD_TRIES_CLIENT_ERROR = 3;
const UPLOAD_TRIES_UNAVAILABLE = 6;
/** Redirects followed when downloading an artifact (object storage). */
const MAX_REDIRECTS = 5;

interface CallOptions {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to `/api/v4/`, without query: `jobs/request`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  body?: RequestInit["body"];
  signal?: AbortSignal;
  /** Tokens in this request: scrubbed from error messages. */
  secrets: readonly string[];
  /** Retry retryable statuses (§1.3); default true. */
  retry?: boolean;
  redirect?: RequestInit["redirect"];
}

export class RunnerClient {
  /** `<url>/api/v4/`. */
  readonly apiBase: URL;
  readonly #userAgent: string;
  readonly #retry: RetryPolicy;
  /** The last `X-GitLab-Last-Update` seen: the job queue version (§2.7). */
  #lastUpdate: string | undefined;

  constructor(options: RunnerClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error(`invalid server URL '${options.url}'`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`the server URL must be http or https, got '${url.protocol}'`);
    }
    if (url.username || url.password) throw new Error("the server URL must not hold credentials");
    url.search = "";
    url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    this.apiBase = new URL("api/v4/", url);
    this.#userAgent = options.userAgent ?? "conveyor-runner";
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  /** The queue version the next job request sends as `last_update`. */
  get lastUpdate(): string | undefined {
    return this.#lastUpdate;
  }

  /** §2.1: registers a runner with a registration token (legacy flow). */
  async register(params: RegisterParams): Promise<RunnerCredentials> {
    const endpoint = "POST runners";
    const body: Record<string, unknown> = {
      token: params.registrationToken,
      // The runner always sends these three booleans (§2.1).
      run_untagged: params.runUntagged ?? false,
      locked: params.locked ?? false,
      paused: params.paused ?? false,
    };
    if (params.description) body.description = params.description;
    if (params.tags && params.tags.length > 0) body.tag_list = params.tags.join(",");
    if (params.accessLevel) body.access_level = params.accessLevel;
    if (params.maximumTimeout && params.maximumTimeout > 0) {
      body.maximum_timeout = params.maximumTimeout;
    }
    if (params.maintenanceNote) body.maintenance_note = params.maintenanceNote;
    if (params.info) body.info = params.info;
    const response = await this.call({
      method: "POST",
      path: "runners",
      json: body,
      secrets: [params.registrationToken],
    });
    if (response.status === 201) {
      return credentialsOf(endpoint, await readJson(endpoint, response), undefined);
    }
    const detail = await errorDetail(response, [params.registrationToken]);
    if (response.status === 403) {
      throw new RunnerApiError(endpoint, 403, `the registration token was refused (403)${detail}`);
    }
    if (response.status === 410) {
      throw new RunnerApiError(
        endpoint,
        410,
        `registration with a registration token is disabled on this server (410); ` +
          `create the runner on the server and register with its glrt- token${detail}`,
      );
    }
    throw unexpected(endpoint, response.status, detail);
  }

  /** §2.2: checks a runner token; adopts a `glrt-` token (the answer carries the runner's id). */
  async verify(params: VerifyParams): Promise<RunnerCredentials> {
    const endpoint = "POST runners/verify";
    const body: Record<string, unknown> = { token: params.token };
    if (params.systemId) body.system_id = params.systemId;
    if (params.info) body.info = params.info;
    const response = await this.call({
      method: "POST",
      path: "runners/verify",
      json: body,
      headers: { "RUNNER-TOKEN": params.token },
      secrets: [params.token],
    });
    if (response.status === 200) {
      // Newer GitLab answers JSON, older the plain text `200` (§2.2).
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (parsed !== null && typeof parsed === "object") {
        return credentialsOf(endpoint, parsed, params.token);
      }
      return { token: params.token };
    }
    const detail = await errorDetail(response, [params.token]);
    if (response.status === 403) {
      throw new RunnerApiError(
        endpoint,
        403,
        `the runner token is not valid (403): the runner was removed or never existed${detail}`,
      );
    }
    if (response.status === 422) {
      throw new RunnerApiError(
        endpoint,
        422,
        `the runner is orphaned (422): its project or group is gone${detail}`,
      );
    }
    throw unexpected(endpoint, response.status, detail);
  }

  /**
   * §2.3 / §2.4: removes the runner from the server. A `glrt-` token only forgets this host's
   * runner manager (the runner itself is deleted on the server); other tokens delete the runner.
   */
  async unregister(token: string, systemId: string | undefined): Promise<void> {
    const managers = token.startsWith("glrt-");
    const path = managers ? "runners/managers" : "runners";
    const endpoint = `DELETE ${path}`;
    const body: Record<string, unknown> = { token };
    if (managers) body.system_id = systemId ?? "";
    const response = await this.call({
      method: "DELETE",
      path,
      json: body,
      headers: { "RUNNER-TOKEN": token },
      secrets: [token],
    });
    if (response.status === 204 || response.status === 200) {
      await response.body?.cancel();
      return;
    }
    const detail = await errorDetail(response, [token]);
    if (response.status === 403) {
      throw new RunnerApiError(endpoint, 403, `the runner token is not valid (403)${detail}`);
    }
    throw unexpected(endpoint, response.status, detail);
  }

  /**
   * §2.7: asks for a job. The server may hold the request (long polling). Sends `last_update`
   * when a previous answer carried `X-GitLab-Last-Update`.
   */
  async requestJob(params: JobRequestParams): Promise<JobRequestResult> {
    const endpoint = "POST jobs/request";
    const body: Record<string, unknown> = { token: params.token };
    if (params.systemId) body.system_id = params.systemId;
    if (params.info) body.info = params.info;
    if (this.#lastUpdate !== undefined) body.last_update = this.#lastUpdate;
    const response = await this.call({
      method: "POST",
      path: "jobs/request",
      json: body,
      headers: { "RUNNER-TOKEN": params.token },
      secrets: [params.token],
      ...(params.signal ? { signal: params.signal } : {}),
    });
    switch (response.status) {
      case 201: {
        // §1.3: a job payload of any other media type is refused.
        if (!isJson(response)) {
          await response.body?.cancel();
          throw new RunnerApiError(
            endpoint,
            201,
            `the job payload is not application/json (Content-Type: ${response.headers.get("content-type") ?? "none"})`,
          );
        }
        const job = await readJson(endpoint, response);
        if (!isJobPayload(job)) {
          throw new RunnerApiError(endpoint, 201, "the job payload has no numeric id and token");
        }
        return { kind: "job", job };
      }
      case 204:
        await response.body?.cancel();
        return { kind: "none" };
      case 409:
        await response.body?.cancel();
        return { kind: "conflict" };
      case 403:
        await response.body?.cancel();
        return { kind: "forbidden" };
      default:
        throw unexpected(endpoint, response.status, await errorDetail(response, [params.token]));
    }
  }

  /** §2.8: a state update, keep-alive or final result for a job, with its job token. */
  async updateJob(
    jobId: number,
    jobToken: string,
    update: JobUpdate,
    info?: RunnerInfo,
    signal?: AbortSignal,
  ): Promise<UpdateJobResult> {
    const path = `jobs/${jobId}`;
    const endpoint = `PUT ${path}`;
    const body: Record<string, unknown> = { token: jobToken, state: update.state };
    if (info) body.info = info;
    if (update.failure_reason) body.failure_reason = update.failure_reason;
    if (update.exit_code) body.exit_code = update.exit_code;
    if (update.output) {
      body.output = update.output;
      // The deprecated duplicate older GitLab reads (§2.8).
      body.checksum = update.output.checksum;
    }
    const response = await this.call({
      method: "PUT",
      path,
      json: body,
      headers: { "JOB-TOKEN": jobToken },
      secrets: [jobToken],
      ...(signal ? { signal } : {}),
    });
    const jobStatus = response.headers.get("job-status") ?? undefined;
    const intervalSeconds = intervalOf(response);
    const remote = remoteJobState(response.status, jobStatus);
    const extra = {
      ...(jobStatus !== undefined ? { jobStatus } : {}),
      ...(intervalSeconds !== undefined ? { intervalSeconds } : {}),
    };
    switch (response.status) {
      // A 200 accepts the update whatever Job-Status says: after a final update of a canceling
      // job the server answers `Job-Status: canceled` (§1.4); `remote` tells a running job.
      case 200:
        await response.body?.cancel();
        return { kind: "accepted", remote, ...extra };
      case 202:
        await response.body?.cancel();
        return { kind: "retry-later", remote, ...extra };
      case 412:
        await response.body?.cancel();
        return { kind: "trace-invalid" };
      case 403:
      case 404:
        await response.body?.cancel();
        return { kind: "aborted", status: response.status, ...jobStatusOf(jobStatus) };
      case 409:
        await response.body?.cancel();
        return { kind: "conflict" };
      default:
        throw unexpected(endpoint, response.status, await errorDetail(response, [jobToken]));
    }
  }

  /**
   * §2.9: appends `bytes` to the job's log at `offset`. `Content-Range` is `start-end` with an
   * inclusive end and no unit (§9); the answer's `Range: 0-<n>` gives the next offset.
   */
  async patchTrace(
    jobId: number,
    jobToken: string,
    offset: number,
    bytes: Uint8Array,
    options: { debugTrace?: boolean; signal?: AbortSignal } = {},
  ): Promise<PatchTraceResult> {
    const path = `jobs/${jobId}/trace`;
    const endpoint = `PATCH ${path}`;
    const response = await this.call({
      method: "PATCH",
      path,
      query: { debug_trace: options.debugTrace ? "true" : "false" },
      headers: {
        "JOB-TOKEN": jobToken,
        "Content-Type": "text/plain",
        "Content-Range": `${offset}-${offset + bytes.length - 1}`,
      },
      body: bytes,
      secrets: [jobToken],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await response.body?.cancel();
    const jobStatus = response.headers.get("job-status") ?? undefined;
    const intervalSeconds = intervalOf(response);
    const remote = remoteJobState(response.status, jobStatus);
    const extra = {
      ...(jobStatus !== undefined ? { jobStatus } : {}),
      ...(intervalSeconds !== undefined ? { intervalSeconds } : {}),
    };
    if (remote === "abort") {
      return { kind: "aborted", status: response.status, ...jobStatusOf(jobStatus) };
    }
    switch (response.status) {
      case 202:
        return {
          kind: "accepted",
          nextOffset: rangeEnd(response) ?? offset + bytes.length,
          remote,
          ...extra,
        };
      case 416: {
        const nextOffset = rangeEnd(response);
        if (nextOffset === undefined) {
          throw new RunnerApiError(endpoint, 416, "416 without a usable Range header");
        }
        return { kind: "range-mismatch", nextOffset, remote, ...extra };
      }
      case 404:
        return { kind: "gone" };
      default:
        throw unexpected(endpoint, response.status, "");
    }
  }

  /**
   * §2.11: uploads one archive or report as multipart field `file`, streamed from disk, with
   * `artifact_type`, `artifact_format` and `expire_in` in the query.
   */
  async uploadArtifact(
    jobId: number,
    jobToken: string,
    file: string,
    upload: ArtifactUpload,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = `jobs/${jobId}/artifacts`;
    const endpoint = `POST ${path}`;
    const query: Record<string, string> = {
      artifact_type: upload.artifactType,
      artifact_format: upload.artifactFormat,
    };
    if (upload.expireIn) query.expire_in = upload.expireIn;
    const backoff = new Backoff(this.#retry);
    for (let attempt = 1; ; attempt++) {
      // A fresh form per try: the blob reads the file lazily, so nothing is held in memory.
      const form = new FormData();
      form.append("file", await openAsBlob(file), upload.filename ?? basename(file));
      let response: Response;
      try {
        response = await this.call({
          method: "POST",
          path,
          query,
          headers: { "JOB-TOKEN": jobToken },
          body: form,
          secrets: [jobToken],
          retry: false,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (attempt >= UPLOAD_TRIES_UNAVAILABLE || signal?.aborted) throw error;
        await sleep(backoff.next(), signal);
        continue;
      }
      const status = response.status;
      if (status === 201 || status === 200) {
        await response.body?.cancel();
        return;
      }
      const detail = await errorDetail(response, [jobToken]);
      if (status === 403) {
        throw new RunnerApiError(endpoint, 403, `the job may not upload artifacts (403)${detail}`);
      }
      if (status === 413) {
        throw new RunnerApiError(endpoint, 413, `the artifact is too large (413)${detail}`);
      }
      const tries =
        status === 400 || status === 405
          ? UPLOAD_TRIES_CLIENT_ERROR
          : isRetryableStatus(status)
            ? UPLOAD_TRIES_UNAVAILABLE
            : 1;
      if (attempt >= tries || signal?.aborted) throw unexpected(endpoint, status, detail);
      await sleep(retryDelay(response) ?? backoff.next(), signal);
    }
  }

  /**
   * §2.12: downloads job `jobId`'s archive into `dir` with the downloading job's token.
   * Returns the file, or undefined when the job has no archive (404). Redirects (object
   * storage) are followed; the job token goes only to the server's own origin.
   */
  async downloadArtifacts(
    jobId: number,
    jobToken: string,
    dir: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const path = `jobs/${jobId}/artifacts`;
    const endpoint = `GET ${path}`;
    let response = await this.call({
      method: "GET",
      path,
      query: { direct_download: "true" },
      headers: { "JOB-TOKEN": jobToken },
      secrets: [jobToken],
      redirect: "manual",
      ...(signal ? { signal } : {}),
    });
    for (let hops = 0; isRedirect(response.status); hops++) {
      const location = response.headers.get("location");
      await response.body?.cancel();
      if (!location || hops >= MAX_REDIRECTS) {
        throw new RunnerApiError(endpoint, response.status, "too many or empty redirects");
      }
      const target = new URL(location, this.apiBase);
      const sameOrigin = target.origin === this.apiBase.origin;
      try {
        response = await fetch(target, {
          headers: {
            "User-Agent": this.#userAgent,
            ...(sameOrigin ? { "JOB-TOKEN": jobToken } : {}),
          },
          redirect: "manual",
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        throw new RunnerApiError(endpoint, undefined, `network error: ${causeOf(error)}`);
      }
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200 || !response.body) {
      const detail = await errorDetail(response, [jobToken]);
      const why =
        response.status === 401 || response.status === 403
          ? `the job may not download these artifacts (${response.status})`
          : `unexpected status ${response.status}`;
      throw new RunnerApiError(endpoint, response.status, `${why}${detail}`);
    }
    await mkdir(dir, { recursive: true });
    const file = join(dir, `artifacts-${jobId}-${randomBytes(4).toString("hex")}.zip`);
    try {
      await pipeline(
        Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
        createWriteStream(file),
        ...(signal ? [{ signal }] : []),
      );
    } catch (error) {
      await rm(file, { force: true });
      throw new RunnerApiError(endpoint, 200, `download interrupted: ${causeOf(error)}`);
    }
    return file;
  }

  /** One request, retried on retryable statuses (§1.3); remembers `X-GitLab-Last-Update`. */
  private async call(options: CallOptions): Promise<Response> {
    const url = new URL(options.path, this.apiBase);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(key, value);
    }
    const endpoint = `${options.method} ${options.path}`;
    const headers: Record<string, string> = {
      "User-Agent": this.#userAgent,
      "X-Request-Id": randomBytes(16).toString("hex"),
      ...options.headers,
    };
    let body: RequestInit["body"] = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      headers.Accept = "application/json";
      body = JSON.stringify(options.json);
    }
    const attempts = options.retry === false ? 1 : Math.max(1, this.#retry.attempts);
    const backoff = new Backoff(this.#retry);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      // A signal per request, linked to the caller's only while waiting for the answer: fetch
      // keeps its listener on a signal until garbage collection, and an agent's stop signal
      // lives for thousands of requests.
      const own = new AbortController();
      const forward = () => own.abort();
      if (options.signal?.aborted) own.abort();
      options.signal?.addEventListener("abort", forward, { once: true });
      try {
        response = await fetch(url, {
          method: options.method,
          headers,
          ...(body !== undefined ? { body } : {}),
          ...(options.redirect ? { redirect: options.redirect } : {}),
          signal: own.signal,
        });
      } catch (error) {
        if (options.signal?.aborted) throw new RunnerApiError(endpoint, undefined, "aborted");
        throw new RunnerApiError(endpoint, undefined, `network error: ${causeOf(error)}`);
      } finally {
        options.signal?.removeEventListener("abort", forward);
      }
      const lastUpdate = response.headers.get("x-gitlab-last-update");
      if (lastUpdate !== null && lastUpdate !== "") this.#lastUpdate = lastUpdate;
      if (!isRetryableStatus(response.status) || attempt >= attempts || options.signal?.aborted) {
        return response;
      }
      const wait = retryDelay(response) ?? backoff.next();
      await response.body?.cancel();
      await sleep(Math.min(wait, this.#retry.maxMs), options.signal);
    }
  }
}

/** `Retry-After` (seconds) or `RateLimit-ResetTime` (RFC 1123 date) in milliseconds (§1.3). */
function retryDelay(response: Response): number | undefined {
  const after = response.headers.get("retry-after");
  if (after !== null && /^\d+$/.test(after.trim())) return Number(after.trim()) * 1000;
  const reset = response.headers.get("ratelimit-resettime");
  if (reset !== null) {
    const at = Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return undefined;
}

/** `X-GitLab-Trace-Update-Interval` in seconds, when a positive integer (§4.4). */
function intervalOf(response: Response): number | undefined {
  const value = response.headers.get("x-gitlab-trace-update-interval");
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const seconds = Number(value.trim());
  return seconds > 0 ? seconds : undefined;
}

/** The second number of `Range: 0-<n>`: the server's log length, not an inclusive end (§9). */
function rangeEnd(response: Response): number | undefined {
  const match = /^\s*(?:bytes[ =])?\d+-(\d+)/.exec(response.headers.get("range") ?? "");
  return match ? Number(match[1]) : undefined;
}

function jobStatusOf(jobStatus: string | undefined): { jobStatus?: string } {
  return jobStatus !== undefined ? { jobStatus } : {};
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function isJson(response: Response): boolean {
  const type = response.headers.get("content-type") ?? "";
  return /^application\/json\b/i.test(type.trim());
}

function isJobPayload(value: unknown): value is JobPayload {
  if (value === null || typeof value !== "object") return false;
  const job = value as Record<string, unknown>;
  return typeof job.id === "number" && typeof job.token === "string";
}

async function readJson(endpoint: string, response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new RunnerApiError(endpoint, response.status, "the answer is not valid JSON");
  }
}

function credentialsOf(
  endpoint: string,
  value: unknown,
  fallbackToken: string | undefined,
): RunnerCredentials {
  const body = (value ?? {}) as Record<string, unknown>;
  const token = typeof body.token === "string" && body.token !== "" ? body.token : fallbackToken;
  if (token === undefined) throw new RunnerApiError(endpoint, 201, "the answer holds no token");
  const credentials: RunnerCredentials = { token };
  if (typeof body.id === "number") credentials.id = body.id;
  if (typeof body.token_expires_at === "string" || body.token_expires_at === null) {
    credentials.tokenExpiresAt = body.token_expires_at;
  }
  return credentials;
}

/** `: <server message>` for an error, tokens scrubbed; empty when there is none. */
async function errorDetail(response: Response, secrets: readonly string[]): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return "";
  }
  let message: string = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const raw = parsed.message ?? parsed.error;
    if (typeof raw === "string") message = raw;
    else if (raw && typeof raw === "object") {
      // Grape validation errors: field → list of messages (§1.3).
      message = Object.entries(raw as Record<string, unknown>)
        .map(([field, list]) => `${field} ${Array.isArray(list) ? list.join(", ") : String(list)}`)
        .join("; ");
    }
  } catch {
    // not JSON: keep the text
  }
  message = scrub(message.trim().replace(/\s+/g, " "), secrets).slice(0, 300);
  return message === "" ? "" : `: ${message}`;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join("[MASKED]");
  }
  return out;
}

function unexpected(endpoint: string, status: number, detail: string): RunnerApiError {
  return new RunnerApiError(endpoint, status, `unexpected status ${status}${detail}`);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const inner = cause instanceof Error ? cause.message : undefined;
  const outer = error instanceof Error ? error.message : String(error);
  return inner ? `${outer} (${inner})` : outer;
}
