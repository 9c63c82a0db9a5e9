/**
 * The GitLab-compatible REST subset under `/api/v4` with `PRIVATE-TOKEN` auth (docs:
 * api/rest): projects, pipelines and jobs. Access follows GitLab: a project you may not see
 * answers 404 (its existence does not leak), an action above your role answers 403, no token
 * answers 401.
 */
import type { EngineEvent, JobStatus } from "@conveyor/engine";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Coordinator } from "../pipelines/coordinator.js";
import {
  ACCESS_LEVELS,
  type PipelineRecord,
  type ProjectRecord,
  type Store,
  StoreConflict,
  type UserRecord,
} from "../store/types.js";
import { jobEntity, pipelineEntity, projectEntity } from "./entities.js";
import { pageAhead, pageOf, paging, projectAccess, sendError } from "./project-access.js";

export interface RestApiOptions {
  store: Store;
  coordinator: Coordinator;
  serverUrl: string;
  clock: () => number;
  /** Creates the project's repository (bare, empty). */
  createRepository: (project: ProjectRecord) => Promise<void>;
  /** "Run pipeline" for a ref (POST /projects/:id/pipeline). */
  runPipeline: (
    project: ProjectRecord,
    ref: string,
    variables: Record<string, string>,
    user: UserRecord,
  ) => Promise<{ pipelineId?: number; error?: string }>;
}

type ProjectParams = { Params: { id: string } };

export function registerRestApi(app: FastifyInstance, options: RestApiOptions): void {
  const { store } = options;
  const access = projectAccess(store, options.clock);
  const fail = sendError;
  const authenticated = access.user;
  const projectFor = access.project;

  app.post("/api/v4/projects", async (request, reply) => {
    const user = await authenticated(request, reply);
    if (!user) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const name =
      typeof body.name === "string" ? body.name : typeof body.path === "string" ? body.path : "";
    const path = typeof body.path === "string" ? body.path : slug(name);
    if (!name || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(path)) {
      return reply.code(400).send({ message: { path: ["is invalid"] } });
    }
    const visibility =
      body.visibility === "public" || body.visibility === "internal" ? body.visibility : "private";
    try {
      const project = await store.projects.create(
        {
          path: `${user.username}/${path}`,
          name,
          description: typeof body.description === "string" ? body.description : "",
          defaultBranch: typeof body.default_branch === "string" ? body.default_branch : "main",
          visibility,
        },
        options.clock(),
      );
      await store.projects.setMember({
        projectId: project.id,
        userId: user.id,
        accessLevel: ACCESS_LEVELS.owner,
      });
      await options.createRepository(project);
      return reply.code(201).send(projectEntity(project, options.serverUrl));
    } catch (error) {
      if (error instanceof StoreConflict) {
        return reply.code(400).send({ message: { path: ["has already been taken"] } });
      }
      throw error;
    }
  });

  app.get<ProjectParams>("/api/v4/projects/:id", async (request, reply) => {
    const found = await projectFor(request, reply, 0);
    return found ? projectEntity(found.project, options.serverUrl) : reply;
  });

  app.get<ProjectParams & { Querystring: { ref?: string; per_page?: string; page?: string } }>(
    "/api/v4/projects/:id/pipelines",
    async (request, reply) => {
      const found = await projectFor(request, reply, ACCESS_LEVELS.reporter);
      if (!found) return reply;
      const window = paging(request.query);
      const pipelines = await store.pipelines.list(found.project.id, {
        ...(request.query.ref ? { ref: request.query.ref } : {}),
        limit: window.limit + 1,
        offset: window.offset,
      });
      return pageAhead(request, reply, pipelines, window, options.serverUrl).map((p) =>
        pipelineEntity(p, found.project, options.serverUrl),
      );
    },
  );

  app.post<ProjectParams & { Querystring: { ref?: string } }>(
    "/api/v4/projects/:id/pipeline",
    async (request, reply) => {
      const found = await projectFor(request, reply, ACCESS_LEVELS.developer);
      if (!found) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const ref = typeof body.ref === "string" ? body.ref : request.query.ref;
      if (!ref) return reply.code(400).send({ error: "ref is missing" });
      const variables: Record<string, string> = {};
      if (Array.isArray(body.variables)) {
        for (const v of body.variables as { key?: unknown; value?: unknown }[]) {
          if (typeof v.key === "string") variables[v.key] = String(v.value ?? "");
        }
      }
      const outcome = await options.runPipeline(found.project, ref, variables, found.user);
      if (outcome.pipelineId === undefined) {
        return reply
          .code(400)
          .send({ message: { base: [outcome.error ?? "Pipeline was not created"] } });
      }
      const pipeline = await store.pipelines.byId(outcome.pipelineId);
      return reply
        .code(201)
        .send(pipeline && pipelineEntity(pipeline, found.project, options.serverUrl));
    },
  );

  const pipelineOf = async (
    request: FastifyRequest<{ Params: { id: string; pipeline_id: string } }>,
    reply: FastifyReply,
    level: number,
  ) => {
    const found = await projectFor(request, reply, level);
    if (!found) return undefined;
    const pipeline = await store.pipelines.byId(Number(request.params.pipeline_id));
    if (!pipeline || pipeline.projectId !== found.project.id) {
      fail(reply, 404, "404 Not found");
      return undefined;
    }
    return { ...found, pipeline };
  };

  app.get<{ Params: { id: string; pipeline_id: string } }>(
    "/api/v4/projects/:id/pipelines/:pipeline_id",
    async (request, reply) => {
      const found = await pipelineOf(request, reply, ACCESS_LEVELS.reporter);
      return found ? pipelineEntity(found.pipeline, found.project, options.serverUrl) : reply;
    },
  );

  app.get<{
    Params: { id: string; pipeline_id: string };
    Querystring: { include_retried?: string };
  }>("/api/v4/projects/:id/pipelines/:pipeline_id/jobs", async (request, reply) => {
    const found = await pipelineOf(request, reply, ACCESS_LEVELS.reporter);
    if (!found) return reply;
    const jobs = await store.jobs.ofPipeline(found.pipeline.id);
    const shown = request.query.include_retried === "true" ? jobs : jobs.filter((j) => !j.retried);
    return pageOf(request, reply, shown, options.serverUrl).map((job) =>
      jobEntity(job, found.pipeline, found.project, options.serverUrl),
    );
  });

  for (const action of ["cancel", "retry"] as const) {
    app.post<{ Params: { id: string; pipeline_id: string } }>(
      `/api/v4/projects/:id/pipelines/:pipeline_id/${action}`,
      async (request, reply) => {
        const found = await pipelineOf(request, reply, ACCESS_LEVELS.developer);
        if (!found) return reply;
        const now = options.clock();
        if (action === "cancel") {
          await options.coordinator.apply(found.pipeline.id, { type: "cancel", now });
        } else {
          const jobs = await store.jobs.ofPipeline(found.pipeline.id);
          const retryable = jobs.filter(
            (j) => !j.retried && (j.status === "failed" || j.status === "canceled"),
          );
          for (const job of retryable) {
            await options.coordinator.apply(found.pipeline.id, {
              type: "retry",
              jobName: job.name,
              now,
            });
          }
        }
        const after = await store.pipelines.byId(found.pipeline.id);
        return reply
          .code(201)
          .send(after && pipelineEntity(after, found.project, options.serverUrl));
      },
    );
  }

  app.get<ProjectParams & { Querystring: Record<string, string | string[] | undefined> }>(
    "/api/v4/projects/:id/jobs",
    async (request, reply) => {
      const found = await projectFor(request, reply, ACCESS_LEVELS.reporter);
      if (!found) return reply;
      const scope = request.query["scope[]"] ?? request.query.scope;
      const statuses = (Array.isArray(scope) ? scope : scope ? [scope] : []) as JobStatus[];
      const window = paging(request.query as { per_page?: string; page?: string });
      const rows = await store.jobs.ofProject(found.project.id, {
        statuses,
        limit: window.limit + 1,
        offset: window.offset,
      });
      const jobs = pageAhead(request, reply, rows, window, options.serverUrl);
      const pipelines = new Map<number, PipelineRecord | undefined>();
      const out = [];
      for (const job of jobs) {
        if (!pipelines.has(job.pipelineId))
          pipelines.set(job.pipelineId, await store.pipelines.byId(job.pipelineId));
        const pipeline = pipelines.get(job.pipelineId);
        if (pipeline) out.push(jobEntity(job, pipeline, found.project, options.serverUrl));
      }
      return out;
    },
  );

  const jobOf = async (
    request: FastifyRequest<{ Params: { id: string; job_id: string } }>,
    reply: FastifyReply,
    level: number,
  ) => {
    const found = await projectFor(request, reply, level);
    if (!found) return undefined;
    const job = await store.jobs.byId(Number(request.params.job_id));
    const pipeline =
      job && job.projectId === found.project.id
        ? await store.pipelines.byId(job.pipelineId)
        : undefined;
    if (!job || !pipeline) {
      fail(reply, 404, "404 Not found");
      return undefined;
    }
    return { ...found, job, pipeline };
  };

  app.get<{ Params: { id: string; job_id: string } }>(
    "/api/v4/projects/:id/jobs/:job_id",
    async (request, reply) => {
      const found = await jobOf(request, reply, ACCESS_LEVELS.reporter);
      if (!found) return reply;
      const runner =
        found.job.runnerId !== undefined ? await store.runners.byId(found.job.runnerId) : undefined;
      return jobEntity(found.job, found.pipeline, found.project, options.serverUrl, runner);
    },
  );

  app.get<{ Params: { id: string; job_id: string } }>(
    "/api/v4/projects/:id/jobs/:job_id/trace",
    async (request, reply) => {
      const found = await jobOf(request, reply, ACCESS_LEVELS.reporter);
      if (!found) return reply;
      const bytes = await store.traces.read(found.job.id);
      return reply.type("text/plain; charset=utf-8").send(Buffer.from(bytes));
    },
  );

  for (const action of ["cancel", "retry", "play"] as const) {
    app.post<{ Params: { id: string; job_id: string } }>(
      `/api/v4/projects/:id/jobs/:job_id/${action}`,
      async (request, reply) => {
        const found = await jobOf(request, reply, ACCESS_LEVELS.developer);
        if (!found) return reply;
        const now = options.clock();
        const { job } = found;
        await options.coordinator.apply(job.pipelineId, {
          type: action,
          jobName: job.name,
          now,
        } as EngineEvent);
        const jobs = await store.jobs.ofPipeline(job.pipelineId);
        const shown =
          action === "retry"
            ? jobs.filter((j) => j.name === job.name).at(-1)
            : jobs.find((j) => j.id === job.id);
        return reply
          .code(201)
          .send(shown && jobEntity(shown, found.pipeline, found.project, options.serverUrl));
      },
    );
  }
}

function slug(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
