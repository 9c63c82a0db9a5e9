/**
 * A FAKE of the server side of GitLab's runner API, at our own interface, for the agent's
 * protocol-edge tests only: a real HTTP server on 127.0.0.1 that implements just enough of
 * runner-protocol.md §2 (register, verify, unregister, jobs/request with long polling and
 * `X-GitLab-Last-Update`, job updates with `Job-Status`, the trace with strict offsets, 416 and
 * 403, artifact upload and download) and lets a test script failures (409, 502, 202, lost trace
 * bytes, cancels). It is not Conveyor's server (packages/server) and claims no compatibility.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JobPayload } from "@conveyor/protocol";

export type FakeJobStatus = "pending" | "running" | "canceling" | "canceled" | "success" | "failed";

export interface RecordedUpdate {
  state: string;
  failure_reason?: string;
  exit_code?: number;
  output?: { checksum: string; bytesize: number };
  /** The status code answered. */
  answered: number;
}

export interface StoredUpload {
  artifactType: string | null;
  artifactFormat: string | null;
  expireIn: string | null;
  filename: string;
  bytes: Buffer;
}

export interface FakeJob {
  payload: JobPayload;
  status: FakeJobStatus;
  trace: Buffer;
  updates: RecordedUpdate[];
  uploads: StoredUpload[];
  /** PATCH answers given, in order (`202`, `416`, `403`). */
  patches: number[];
}

export interface RecordedJobRequest {
  body: Record<string, unknown>;
  headers: IncomingMessage["headers"];
  /** The status answered; CLIENT_CLOSED when the runner hung up on a held request. */
  answered: number;
}

/** `answered` of a held job request the runner hung up on (nginx's "client closed request"). */
export const CLIENT_CLOSED = 499;

export interface FakeRunner {
  id: number;
  token: string;
  description: string;
  tags: string[];
  runUntagged: boolean;
}

export interface FakeCoordinatorOptions {
  /** How long an idle `jobs/request` with an up-to-date `last_update` is held; default 0. */
  longPollMs?: number;
  /** `X-GitLab-Trace-Update-Interval` on trace and update answers; none when undefined. */
  traceIntervalSeconds?: number;
  registrationToken?: string;
}

export class FakeCoordinator {
  readonly registrationToken: string;
  readonly runners = new Map<string, FakeRunner>();
  readonly jobs = new Map<number, FakeJob>();
  readonly jobRequests: RecordedJobRequest[] = [];
  /** Requests seen, as `METHOD path` (no query), for protocol assertions. */
  readonly calls: string[] = [];
  /** Statuses to answer the next job requests with instead of serving the queue. */
  readonly jobRequestAnswers: number[] = [];
  /** Statuses to answer the next final (success/failed) updates with before handling them. */
  readonly finalUpdateAnswers: number[] = [];
  /** Statuses to answer the next trace PATCHes with before handling them. */
  readonly traceAnswers: number[] = [];
  longPollMs: number;
  traceIntervalSeconds: number | undefined;
  /** Seconds sent with a scripted 202 to a final update. */
  retryLaterSeconds = 1;

  readonly #server: Server;
  readonly #queue: number[] = [];
  #version = 1;
  #nextRunnerId = 1;
  #waiters: (() => void)[] = [];
  url = "";

  private constructor(server: Server, options: FakeCoordinatorOptions) {
    this.#server = server;
    this.longPollMs = options.longPollMs ?? 0;
    this.traceIntervalSeconds = options.traceIntervalSeconds;
    this.registrationToken = options.registrationToken ?? "fake-registration-token";
  }

  static async start(options: FakeCoordinatorOptions = {}): Promise<FakeCoordinator> {
    const server = createServer();
    const fake = new FakeCoordinator(server, options);
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    for (const wake of this.#waiters) wake();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Refuses connections, as a restarting server does; state is kept for `listenAgain`. */
  async stopListening(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port after `stopListening`. */
  async listenAgain(): Promise<void> {
    const port = Number(new URL(this.url).port);
    await new Promise<void>((resolve) => this.#server.listen(port, "127.0.0.1", resolve));
  }

  /** The current `X-GitLab-Last-Update` value. */
  get queueVersion(): string {
    return `v${this.#version}`;
  }

  /** Adds a runner directly (as a glrt- token created on the server would); returns its token. */
  addRunner(token = `glrt-${randomBytes(10).toString("hex")}`): string {
    this.runners.set(token, {
      id: this.#nextRunnerId++,
      token,
      description: "",
      tags: [],
      runUntagged: true,
    });
    return token;
  }

  /** Queues a job for the next job request. */
  enqueue(payload: JobPayload): FakeJob {
    const job: FakeJob = {
      payload,
      status: "pending",
      trace: Buffer.alloc(0),
      updates: [],
      uploads: [],
      patches: [],
    };
    this.jobs.set(payload.id, job);
    this.#queue.push(payload.id);
    this.#bump();
    return job;
  }

  /** Takes the waiting jobs out of the queue (they stay `pending`). */
  clearQueue(): void {
    this.#queue.length = 0;
  }

  /** Jobs still waiting for a runner. */
  get pendingCount(): number {
    return this.#queue.length;
  }

  /** A user cancel: `canceling` (graceful, §1.4) or straight to `canceled`. */
  cancel(jobId: number, graceful = true): void {
    const job = this.#job(jobId);
    job.status = graceful && job.status === "running" ? "canceling" : "canceled";
  }

  /** The server forgets the end of a job's log (for 416 tests). */
  truncateTrace(jobId: number, length: number): void {
    const job = this.#job(jobId);
    job.trace = job.trace.subarray(0, length);
  }

  /** Stores an archive as if job `jobId` had uploaded it. */
  storeArchive(jobId: number, bytes: Buffer): void {
    this.#job(jobId).uploads.push({
      artifactType: "archive",
      artifactFormat: "zip",
      expireIn: null,
      filename: "artifacts.zip",
      bytes,
    });
  }

  /** The final (success/failed) updates the fake accepted. */
  finalUpdates(jobId: number): RecordedUpdate[] {
    return this.#job(jobId).updates.filter(
      (u) => (u.state === "success" || u.state === "failed") && u.answered === 200,
    );
  }

  #job(jobId: number): FakeJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    return job;
  }

  #bump(): void {
    this.#version++;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    const body = await readBody(request);
    const route = `${request.method} ${url.pathname}`;
    this.calls.push(route);
    const json = (): Record<string, unknown> => {
      try {
        return JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    let match: RegExpExecArray | null;
    if (route === "POST /api/v4/runners") return this.register(json(), response);
    if (route === "POST /api/v4/runners/verify") {
      const runner = this.runners.get(String(json().token));
      if (!runner) return send(response, 403, { message: "403 Forbidden" });
      return send(response, 200, { id: runner.id, token: runner.token, token_expires_at: null });
    }
    if (route === "DELETE /api/v4/runners" || route === "DELETE /api/v4/runners/managers") {
      const token = String(json().token);
      if (!this.runners.has(token)) return send(response, 403, { message: "403 Forbidden" });
      if (route.endsWith("/managers") && typeof json().system_id !== "string") {
        return send(response, 400, { message: "system_id is missing" });
      }
      if (!route.endsWith("/managers")) this.runners.delete(token);
      return send(response, 204);
    }
    if (route === "POST /api/v4/jobs/request") return this.requestJob(json(), request, response);
    if ((match = /^PUT \/api\/v4\/jobs\/(\d+)$/.exec(route))) {
      return this.updateJob(Number(match[1]), json(), request, response);
    }
    if ((match = /^PATCH \/api\/v4\/jobs\/(\d+)\/trace$/.exec(route))) {
      return this.patchTrace(Number(match[1]), body, request, response);
    }
    if ((match = /^POST \/api\/v4\/jobs\/(\d+)\/artifacts$/.exec(route))) {
      return this.upload(Number(match[1]), url, body, request, response);
    }
    if ((match = /^GET \/api\/v4\/jobs\/(\d+)\/artifacts$/.exec(route))) {
      return this.download(Number(match[1]), request, response);
    }
    send(response, 404, { message: "404 Not Found" });
  }

  private register(body: Record<string, unknown>, response: ServerResponse): void {
    if (body.token !== this.registrationToken) {
      return send(response, 403, { message: "403 Forbidden" });
    }
    const token = `fake-runner-${randomBytes(8).toString("hex")}`;
    const id = this.#nextRunnerId++;
    this.runners.set(token, {
      id,
      token,
      description: typeof body.description === "string" ? body.description : "",
      tags:
        typeof body.tag_list === "string" && body.tag_list !== "" ? body.tag_list.split(",") : [],
      runUntagged: body.run_untagged === true,
    });
    send(response, 201, { id, token, token_expires_at: null });
  }

  private async requestJob(
    body: Record<string, unknown>,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const record: RecordedJobRequest = { body, headers: request.headers, answered: 0 };
    this.jobRequests.push(record);
    const answer = (status: number, payload?: unknown) => {
      record.answered = status;
      response.setHeader("X-GitLab-Last-Update", this.queueVersion);
      send(response, status, payload);
    };
    if (!this.runners.has(String(body.token))) return answer(403, { message: "403 Forbidden" });
    const scripted = this.jobRequestAnswers.shift();
    if (scripted !== undefined)
      return answer(scripted, scripted >= 400 ? { message: "scripted" } : undefined);
    // Long polling (§2.7): hold while nothing changed since the runner's last look.
    if (this.#queue.length === 0 && body.last_update === this.queueVersion && this.longPollMs > 0) {
      let gone = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.longPollMs);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#waiters.push(wake);
        // The runner hung up: like Workhorse, assign nothing to it.
        response.once("close", () => {
          gone = true;
          wake();
        });
      });
      if (gone || response.destroyed || response.writableEnded) {
        record.answered = CLIENT_CLOSED;
        return;
      }
    }
    // A runner that already hung up gets no job (it could never run it).
    if (request.socket.destroyed) {
      record.answered = CLIENT_CLOSED;
      return;
    }
    const id = this.#queue.shift();
    if (id === undefined) return answer(204);
    const job = this.#job(id);
    job.status = "running";
    this.#version++;
    answer(201, job.payload);
  }

  /** The job a job token authenticates for `jobId`, or an answer already sent (§1.2). */
  private authenticate(
    jobId: number,
    token: unknown,
    response: ServerResponse,
  ): FakeJob | undefined {
    const job = this.jobs.get(jobId);
    if (!job || job.payload.token !== token) {
      send(response, 403, { message: "403 Forbidden" });
      return undefined;
    }
    if (job.status !== "running" && job.status !== "canceling") {
      response.setHeader("Job-Status", job.status);
      send(response, 403, { message: "403 Forbidden - Job is not running" });
      return undefined;
    }
    return job;
  }

  private updateJob(
    jobId: number,
    body: Record<string, unknown>,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const state = String(body.state);
    const final = state === "success" || state === "failed";
    const record: RecordedUpdate = { state, answered: 0 };
    if (typeof body.failure_reason === "string") record.failure_reason = body.failure_reason;
    if (typeof body.exit_code === "number") record.exit_code = body.exit_code;
    if (body.output && typeof body.output === "object") {
      record.output = body.output as RecordedUpdate["output"];
    }
    const scripted = final ? this.finalUpdateAnswers.shift() : undefined;
    const job = this.jobs.get(jobId);
    if (scripted !== undefined) {
      record.answered = scripted;
      job?.updates.push(record);
      if (scripted === 202)
        response.setHeader("X-GitLab-Trace-Update-Interval", String(this.retryLaterSeconds));
      return send(response, scripted, scripted === 202 ? "202" : { message: "scripted" });
    }
    // The runner sends the job token in the header and in the body (§2.8).
    if (request.headers["job-token"] !== body.token) {
      return send(response, 400, { message: "token header and body differ" });
    }
    const authed = this.authenticate(jobId, body.token, response);
    if (!authed) {
      record.answered = 403;
      job?.updates.push(record);
      return;
    }
    if (this.traceIntervalSeconds !== undefined) {
      response.setHeader("X-GitLab-Trace-Update-Interval", String(this.traceIntervalSeconds));
    }
    if (final) {
      authed.status = authed.status === "canceling" ? "canceled" : (state as FakeJobStatus);
    } else if (state !== "running" && state !== "pending") {
      record.answered = 400;
      authed.updates.push(record);
      return send(response, 400, { message: "400 Bad request - state is invalid" });
    }
    record.answered = 200;
    authed.updates.push(record);
    response.setHeader("Job-Status", authed.status);
    send(response, 200, "200");
  }

  private patchTrace(
    jobId: number,
    body: Buffer,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const job = this.jobs.get(jobId);
    const scripted = this.traceAnswers.shift();
    if (scripted !== undefined) {
      job?.patches.push(scripted);
      return send(response, scripted, { message: "scripted" });
    }
    const authed = this.authenticate(jobId, request.headers["job-token"], response);
    if (!authed) {
      job?.patches.push(403);
      return;
    }
    const range = /^(\d+)-(\d+)$/.exec(String(request.headers["content-range"] ?? ""));
    if (!range) return send(response, 400, { message: "400 Missing header Content-Range" });
    const start = Number(range[1]);
    // The runner's end is inclusive (§2.9, §9).
    if (Number(range[2]) !== start + body.length - 1) {
      return send(response, 400, { message: "Content-Range end does not match the body" });
    }
    response.setHeader("Job-Status", authed.status);
    if (this.traceIntervalSeconds !== undefined) {
      response.setHeader("X-GitLab-Trace-Update-Interval", String(this.traceIntervalSeconds));
    }
    if (start !== authed.trace.length) {
      authed.patches.push(416);
      response.setHeader("Range", `0-${authed.trace.length}`);
      return send(response, 416, { message: "416 Range Not Satisfiable" });
    }
    authed.trace = Buffer.concat([authed.trace, body]);
    authed.patches.push(202);
    response.setHeader("Range", `0-${authed.trace.length}`);
    send(response, 202);
  }

  private upload(
    jobId: number,
    url: URL,
    body: Buffer,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const job = this.authenticate(jobId, request.headers["job-token"], response);
    if (!job) return;
    const file = multipartFile(String(request.headers["content-type"] ?? ""), body, "file");
    if (!file) return send(response, 400, { message: "400 Bad request - file is missing" });
    job.uploads.push({
      artifactType: url.searchParams.get("artifact_type"),
      artifactFormat: url.searchParams.get("artifact_format"),
      expireIn: url.searchParams.get("expire_in"),
      filename: file.filename,
      bytes: file.bytes,
    });
    send(response, 201, "201");
  }

  private download(jobId: number, request: IncomingMessage, response: ServerResponse): void {
    const token = request.headers["job-token"];
    const reader = [...this.jobs.values()].find((j) => j.payload.token === token);
    if (!reader || (reader.status !== "running" && reader.status !== "canceling")) {
      return send(response, 403, { message: "403 Forbidden" });
    }
    const archive = this.jobs.get(jobId)?.uploads.find((u) => u.artifactType === "archive");
    if (!archive) return send(response, 404, { message: "404 Not Found" });
    response.writeHead(200, {
      "Content-Type": "application/zip",
      "Content-Length": String(archive.bytes.length),
    });
    response.end(archive.bytes);
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (response.writableEnded || response.destroyed) return;
  if (body === undefined) {
    response.writeHead(status);
    response.end();
  } else if (typeof body === "string") {
    response.writeHead(status, { "Content-Type": "text/plain" });
    response.end(body);
  } else {
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify(body));
  }
}

/** The part named `field` of a multipart/form-data body. */
function multipartFile(
  contentType: string,
  body: Buffer,
  field: string,
): { filename: string; bytes: Buffer } | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // the delimiter's CRLF
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start, next - 2); // the CRLF before the next delimiter
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      if (name === field) {
        return {
          filename: /filename="([^"]*)"/i.exec(headers)?.[1] ?? "",
          bytes: Buffer.from(part.subarray(headerEnd + 4)),
        };
      }
    }
    at = next;
  }
  return undefined;
}
