/**
 * GitLab's runner API under `/api/v4` (../shared/specs/runner-protocol.md §2): registration and
 * runner tokens, job requests with long polling, job updates, the incremental trace, artifact
 * upload and download. Every status code and header here is one a real gitlab-runner acts on.
 */
import { parseDuration } from "@conveyor/engine";
import { FAILURE_REASONS, type FailureReason } from "@conveyor/protocol";
import "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BlobTooLarge } from "../blobs/file-blobs.js";
import type { JobRequests } from "../dispatch/job-request.js";
import type { Coordinator } from "../pipelines/coordinator.js";
import type { JobRecord, RunnerRecord, Store } from "../store/types.js";
import type { FileBlobs } from "../blobs/file-blobs.js";
import { newToken, sameSecret, tokenDigest } from "../util/tokens.js";
import { tagList } from "./runners-api.js";

export interface RunnerApiOptions {
  store: Store;
  coordinator: Coordinator;
  jobRequests: JobRequests;
  blobs: FileBlobs;
  clock: () => number;
  /** The instance's runner registration token (legacy `POST /runners`); undefined: disabled. */
  registrationToken?: string;
  /** `X-GitLab-Trace-Update-Interval` in seconds while a job runs. */
  traceIntervalSeconds: number;
  /** Largest artifact upload in bytes. */
  maxArtifactBytes: number;
  /** Called for every answered job request, with the job sent (metrics). */
  onJobRequest?: (job: JobRecord | undefined) => void;
  /**
   * Resolves when what a job's end set in motion (its environment's state) is written: the
   * runner's final update is answered after it, so that what the job did is visible at once.
   */
  settled?: (jobId: number) => Promise<void>;
}

/** Statuses in which a job token authenticates (protocol §1.2). */
const EXECUTING = new Set(["running", "canceling"]);

const ARTIFACT_FORMATS = new Set(["zip", "gzip", "raw"]);

type Body = Record<string, unknown> | undefined;

export function registerRunnerApi(app: FastifyInstance, options: RunnerApiOptions): void {
  const { store, clock } = options;

  const fail = (reply: FastifyReply, code: number, message: string) =>
    reply.code(code).send({ message });

  /** The runner a request authenticates as: body `token` or the `RUNNER-TOKEN` header. */
  const runnerOf = async (request: FastifyRequest): Promise<RunnerRecord | undefined> => {
    const body = request.body as Body;
    const header = request.headers["runner-token"];
    const token = typeof body?.token === "string" ? body.token : header;
    if (typeof token !== "string" || token === "") return undefined;
    return store.runners.byTokenDigest(tokenDigest(token));
  };

  const touchRunner = async (runner: RunnerRecord, request: FastifyRequest) => {
    const info = (request.body as Body)?.info;
    await store.runners.touch(
      runner.id,
      clock(),
      info && typeof info === "object" ? (info as Record<string, unknown>) : undefined,
    );
  };

  /** The job a job-token request acts on, or an answer already sent. */
  const jobOf = async (
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
  ): Promise<JobRecord | undefined> => {
    const token = jobTokenOf(request);
    const job = token ? await store.jobs.byTokenDigest(tokenDigest(token)) : undefined;
    if (!job || String(job.id) !== request.params.id) {
      fail(reply, 403, "403 Forbidden");
      return undefined;
    }
    if (!EXECUTING.has(job.status)) {
      reply.header("Job-Status", job.status);
      fail(reply, 403, "403 Forbidden - Job is not running");
      return undefined;
    }
    return job;
  };

  app.post("/api/v4/runners", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const given = typeof body.token === "string" ? body.token : "";
    if (!options.registrationToken) return fail(reply, 410, "410 Gone");
    if (!sameSecret(given, options.registrationToken)) return fail(reply, 403, "403 Forbidden");
    const token = newToken("runner");
    const runner = await store.runners.create(
      {
        tokenDigest: tokenDigest(token),
        description: typeof body.description === "string" ? body.description : "",
        tags: tagList(body.tag_list),
        runUntagged: body.run_untagged === undefined ? true : body.run_untagged === true,
        locked: body.locked === true,
        paused: body.paused === true || body.active === false,
        runnerType: "instance_type",
        projectIds: [],
        accessLevel: body.access_level === "ref_protected" ? "ref_protected" : "not_protected",
        ...(typeof body.maximum_timeout === "number" && body.maximum_timeout > 0
          ? { maximumTimeout: body.maximum_timeout }
          : {}),
      },
      clock(),
    );
    return reply.code(201).send({ id: runner.id, token, token_expires_at: null });
  });

  app.post("/api/v4/runners/verify", async (request, reply) => {
    const runner = await runnerOf(request);
    if (!runner) return fail(reply, 403, "403 Forbidden");
    await touchRunner(runner, request);
    const body = request.body as Body;
    return reply.code(200).send({ id: runner.id, token: body?.token, token_expires_at: null });
  });

  app.delete("/api/v4/runners", async (request, reply) => {
    const runner = await runnerOf(request);
    if (!runner) return fail(reply, 403, "403 Forbidden");
    await store.runners.delete(runner.id);
    return reply.code(204).send();
  });

  // A runner manager is one host using a glrt- token; Conveyor keeps no per-host records, so
  // forgetting one only checks the token (protocol §2.4).
  app.delete("/api/v4/runners/managers", async (request, reply) => {
    const runner = await runnerOf(request);
    if (!runner) return fail(reply, 403, "403 Forbidden");
    const body = request.body as Body;
    if (typeof body?.system_id !== "string") return fail(reply, 400, "system_id is missing");
    return reply.code(204).send();
  });

  app.post("/api/v4/runners/reset_authentication_token", async (request, reply) => {
    const runner = await runnerOf(request);
    if (!runner) return fail(reply, 403, "403 Forbidden");
    const token = newToken("runner");
    await store.runners.update(runner.id, { tokenDigest: tokenDigest(token) });
    return reply.code(201).send({ token, token_expires_at: null });
  });

  // The Job Router (KAS) is not offered: the runner keeps to jobs/request (protocol §2.6).
  app.get("/api/v4/runners/router/discovery", async (_request, reply) =>
    fail(reply, 501, "501 Not Implemented"),
  );

  app.post("/api/v4/jobs/request", async (request, reply) => {
    const runner = await runnerOf(request);
    if (!runner) return fail(reply, 403, "403 Forbidden");
    await touchRunner(runner, request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const lastUpdate = typeof body.last_update === "string" ? body.last_update : undefined;
    const abort = new AbortController();
    request.raw.once("close", () => abort.abort());
    reply.raw.once("close", () => abort.abort());
    const answer = await options.jobRequests.request(
      runner,
      lastUpdate,
      { cancelGracefully: featureOf(body, "cancel_gracefully") },
      abort.signal,
    );
    reply.header("X-GitLab-Last-Update", answer.version);
    options.onJobRequest?.(answer.job);
    if (!answer.payload) return reply.code(204).send();
    return reply.code(201).type("application/json").send(answer.payload);
  });

  app.put<{ Params: { id: string } }>("/api/v4/jobs/:id", async (request, reply) => {
    const job = await jobOf(request, reply);
    if (!job) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const state = body.state;
    reply.header("X-GitLab-Trace-Update-Interval", String(options.traceIntervalSeconds));
    if (state === undefined || state === "running" || state === "pending") {
      await store.jobs.touch(job.id, clock());
      return reply.header("Job-Status", job.status).code(200).send("200");
    }
    if (state !== "success" && state !== "failed")
      return fail(reply, 400, "400 Bad request - state is invalid");
    const exitCode = typeof body.exit_code === "number" ? body.exit_code : undefined;
    await options.coordinator.finish(job, {
      state,
      ...(state === "failed" ? { failure_reason: failureReasonOf(body.failure_reason) } : {}),
      ...(exitCode !== undefined ? { exit_code: exitCode } : {}),
      ...(job.status === "canceling" ? { canceled: true } : {}),
    });
    await options.settled?.(job.id);
    const after = await store.jobs.byId(job.id);
    return reply
      .header("Job-Status", after?.status ?? job.status)
      .code(200)
      .send("200");
  });

  app.patch<{ Params: { id: string } }>("/api/v4/jobs/:id/trace", async (request, reply) => {
    const job = await jobOf(request, reply);
    if (!job) return reply;
    const range = request.headers["content-range"];
    const start = typeof range === "string" ? /^(\d+)-\d*$/.exec(range.trim())?.[1] : undefined;
    if (start === undefined) return fail(reply, 400, "400 Missing header Content-Range");
    const body = request.body;
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : "");
    const appended = await store.traces.append(job.id, Number(start), bytes);
    await store.jobs.touch(job.id, clock());
    reply
      .header("Range", `0-${appended.size}`)
      .header("Job-Status", job.status)
      .header("X-GitLab-Trace-Update-Interval", String(options.traceIntervalSeconds));
    if (!appended.ok) return reply.code(416).send({ message: "416 Range Not Satisfiable" });
    return reply.code(202).send();
  });

  app.post<{
    Params: { id: string };
    Querystring: { artifact_type?: string; artifact_format?: string; expire_in?: string };
  }>("/api/v4/jobs/:id/artifacts", async (request, reply) => {
    const job = await jobOf(request, reply);
    if (!job) return reply;
    const format = request.query.artifact_format ?? "zip";
    if (!ARTIFACT_FORMATS.has(format)) return fail(reply, 400, "artifact_format is invalid");
    const file = await request.file();
    if (!file || file.fieldname !== "file")
      return fail(reply, 400, "400 Bad request - file is missing");
    let blob;
    try {
      blob = await options.blobs.put(file.file, options.maxArtifactBytes);
    } catch (error) {
      if (error instanceof BlobTooLarge) return fail(reply, 413, "413 Request Entity Too Large");
      throw error;
    }
    if (file.file.truncated) return fail(reply, 413, "413 Request Entity Too Large");
    const expireIn = request.query.expire_in;
    const seconds = expireIn && expireIn !== "never" ? parseDuration(expireIn) : undefined;
    await store.artifacts.create({
      jobId: job.id,
      fileType: request.query.artifact_type ?? "archive",
      fileFormat: format,
      filename: file.filename || "artifacts.zip",
      size: blob.size,
      sha256: blob.sha256,
      blobKey: blob.key,
      createdAt: clock(),
      ...(seconds !== undefined ? { expireAt: clock() + seconds * 1000 } : {}),
    });
    return reply.code(201).send("201");
  });

  app.get<{ Params: { id: string } }>("/api/v4/jobs/:id/artifacts", async (request, reply) => {
    const token = jobTokenOf(request);
    const reader = token ? await store.jobs.byTokenDigest(tokenDigest(token)) : undefined;
    if (!reader || !EXECUTING.has(reader.status)) return fail(reply, 403, "403 Forbidden");
    const producer = await store.jobs.byId(Number(request.params.id));
    if (!producer || producer.projectId !== reader.projectId)
      return fail(reply, 404, "404 Not Found");
    const archive = (await store.artifacts.ofJob(producer.id)).find(
      (a) => a.fileType === "archive",
    );
    if (!archive) return fail(reply, 404, "404 Not Found");
    return reply
      .type("application/zip")
      .header("Content-Length", String(archive.size))
      .header("Content-Disposition", `attachment; filename="${archive.filename.replace(/"/g, "")}"`)
      .send(options.blobs.read(archive.blobKey));
  });
}

/** The job token: `JOB-TOKEN` header, else the `token` body field or query parameter. */
function jobTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers["job-token"];
  if (typeof header === "string" && header !== "") return header;
  const body = request.body as Body;
  if (body && typeof body === "object" && typeof body.token === "string") return body.token;
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === "string" ? query.token : undefined;
}

function featureOf(body: Record<string, unknown>, name: string): boolean {
  const info = body.info as { features?: Record<string, unknown> } | undefined;
  return info?.features?.[name] === true;
}

/** Unknown reasons become `unknown_failure`, as GitLab does (protocol §2.8). */
function failureReasonOf(value: unknown): FailureReason {
  return (FAILURE_REASONS as readonly unknown[]).includes(value)
    ? (value as FailureReason)
    : "unknown_failure";
}
