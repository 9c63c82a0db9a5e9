/**
 * Runners over the REST API (docs: api/runners, api/users#create-a-runner-linked-to-a-user):
 * creating a runner hands out its `glrt-` authentication token once; administrators manage
 * instance runners, project maintainers their project's runners. Runner tokens are never shown
 * again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  ACCESS_LEVELS,
  type NewRunner,
  type RunnerRecord,
  type Store,
  type UserRecord,
} from "../store/types.js";
import { newToken, tokenDigest } from "../util/tokens.js";
import { accessLevelOf, pageOf, projectAccess, sendError } from "./project-access.js";

export interface RunnersApiOptions {
  store: Store;
  clock: () => number;
}

/** GitLab counts a runner online when it called within the last 2 hours (`ONLINE_CONTACT_TIMEOUT`). */
const ONLINE_MS = 2 * 60 * 60 * 1000;

type Body = Record<string, unknown>;

export function runnerStatus(
  runner: RunnerRecord,
  now: number,
): "online" | "offline" | "never_contacted" {
  if (runner.contactedAt === undefined) return "never_contacted";
  return now - runner.contactedAt <= ONLINE_MS ? "online" : "offline";
}

export function runnerEntity(runner: RunnerRecord, now: number) {
  const info = runner.info ?? {};
  return {
    id: runner.id,
    description: runner.description,
    active: !runner.paused,
    paused: runner.paused,
    is_shared: runner.runnerType === "instance_type",
    runner_type: runner.runnerType,
    name: typeof info.name === "string" ? info.name : null,
    online: runnerStatus(runner, now) === "online",
    status: runnerStatus(runner, now),
  };
}

export function runnerDetailEntity(runner: RunnerRecord, now: number) {
  const info = runner.info ?? {};
  return {
    ...runnerEntity(runner, now),
    tag_list: runner.tags,
    run_untagged: runner.runUntagged,
    locked: runner.locked,
    access_level: runner.accessLevel,
    maximum_timeout: runner.maximumTimeout ?? null,
    contacted_at:
      runner.contactedAt === undefined ? null : new Date(runner.contactedAt).toISOString(),
    version: typeof info.version === "string" ? info.version : null,
    revision: typeof info.revision === "string" ? info.revision : null,
    platform: typeof info.platform === "string" ? info.platform : null,
    architecture: typeof info.architecture === "string" ? info.architecture : null,
    projects: runner.projectIds.map((id) => ({ id })),
  };
}

/** `tag_list`: an array, or a comma-separated string. */
export function tagList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return [...new Set(items.map((tag) => String(tag).trim()).filter((tag) => tag !== ""))];
}

/** The runner settings a create or update request gives. */
export function runnerSettings(body: Body): Partial<NewRunner> {
  const out: Partial<NewRunner> = {};
  if (typeof body.description === "string") out.description = body.description;
  if (body.tag_list !== undefined) out.tags = tagList(body.tag_list);
  if (body.run_untagged !== undefined)
    out.runUntagged = body.run_untagged === true || body.run_untagged === "true";
  if (body.locked !== undefined) out.locked = body.locked === true || body.locked === "true";
  if (body.paused !== undefined) out.paused = body.paused === true || body.paused === "true";
  if (body.active !== undefined) out.paused = !(body.active === true || body.active === "true");
  if (body.access_level === "ref_protected" || body.access_level === "not_protected") {
    out.accessLevel = body.access_level;
  }
  const timeout = Number(body.maximum_timeout);
  if (body.maximum_timeout !== undefined && Number.isInteger(timeout) && timeout > 0)
    out.maximumTimeout = timeout;
  return out;
}

export function registerRunnersApi(app: FastifyInstance, options: RunnersApiOptions): void {
  const { store, clock } = options;
  const access = projectAccess(store, clock);

  /** May the user manage this runner? Administrators any; maintainers of all its projects theirs. */
  const manages = async (user: UserRecord, runner: RunnerRecord): Promise<boolean> => {
    if (user.admin) return true;
    if (runner.runnerType !== "project_type" || runner.projectIds.length === 0) return false;
    for (const projectId of runner.projectIds) {
      const project = await store.projects.byId(projectId);
      if (project && (await accessLevelOf(store, project, user)) >= ACCESS_LEVELS.maintainer)
        return true;
    }
    return false;
  };

  const runnerFor = async (id: string, user: UserRecord, reply: FastifyReply) => {
    const runner = /^\d+$/.test(id) ? await store.runners.byId(Number(id)) : undefined;
    if (!runner || !(await manages(user, runner))) {
      sendError(reply, 404, "404 Runner Not Found");
      return undefined;
    }
    return runner;
  };

  app.post("/api/v4/user/runners", async (request, reply) => {
    const user = await access.user(request, reply);
    if (!user) return reply;
    const body = (request.body ?? {}) as Body;
    const type = body.runner_type;
    let projectIds: number[] = [];
    if (type === "instance_type") {
      if (!user.admin) return sendError(reply, 403, "403 Forbidden");
    } else if (type === "project_type") {
      const projectId = Number(body.project_id);
      const project = Number.isInteger(projectId)
        ? await store.projects.byId(projectId)
        : undefined;
      const level = project ? await accessLevelOf(store, project, user) : 0;
      if (!project || level < ACCESS_LEVELS.reporter)
        return sendError(reply, 404, "404 Project Not Found");
      if (level < ACCESS_LEVELS.maintainer) return sendError(reply, 403, "403 Forbidden");
      projectIds = [project.id];
    } else {
      return reply.code(400).send({ error: "runner_type does not have a valid value" });
    }
    const token = newToken("runner");
    const runner = await store.runners.create(
      {
        description: "",
        tags: [],
        runUntagged: true,
        locked: type === "project_type",
        paused: false,
        accessLevel: "not_protected",
        ...runnerSettings(body),
        tokenDigest: tokenDigest(token),
        runnerType: type,
        projectIds,
      },
      clock(),
    );
    return reply.code(201).send({ id: runner.id, token, token_expires_at: null });
  });

  const listed = async (
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    all: boolean,
  ) => {
    const runners = await store.runners.list();
    const shown: RunnerRecord[] = [];
    for (const runner of runners) {
      if (all ? user.admin : runner.runnerType === "project_type" && (await manages(user, runner)))
        shown.push(runner);
    }
    return pageOf(request, reply, shown, "").map((runner) => runnerEntity(runner, clock()));
  };

  app.get("/api/v4/runners", async (request, reply) => {
    const user = await access.user(request, reply);
    return user ? listed(request, reply, user, false) : reply;
  });

  app.get("/api/v4/runners/all", async (request, reply) => {
    const user = await access.admin(request, reply);
    return user ? listed(request, reply, user, true) : reply;
  });

  app.get<{ Params: { runner_id: string } }>(
    "/api/v4/runners/:runner_id",
    async (request, reply) => {
      const user = await access.user(request, reply);
      const runner = user && (await runnerFor(request.params.runner_id, user, reply));
      return runner ? runnerDetailEntity(runner, clock()) : reply;
    },
  );

  app.put<{ Params: { runner_id: string } }>(
    "/api/v4/runners/:runner_id",
    async (request, reply) => {
      const user = await access.user(request, reply);
      const runner = user && (await runnerFor(request.params.runner_id, user, reply));
      if (!runner) return reply;
      const { description, tags, runUntagged, locked, paused, accessLevel } = runnerSettings(
        (request.body ?? {}) as Body,
      );
      const updated = await store.runners.update(runner.id, {
        ...(description !== undefined ? { description } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(runUntagged !== undefined ? { runUntagged } : {}),
        ...(locked !== undefined ? { locked } : {}),
        ...(paused !== undefined ? { paused } : {}),
        ...(accessLevel !== undefined ? { accessLevel } : {}),
      });
      return updated
        ? runnerDetailEntity(updated, clock())
        : sendError(reply, 404, "404 Runner Not Found");
    },
  );

  app.delete<{ Params: { runner_id: string } }>(
    "/api/v4/runners/:runner_id",
    async (request, reply) => {
      const user = await access.user(request, reply);
      const runner = user && (await runnerFor(request.params.runner_id, user, reply));
      if (!runner) return reply;
      await store.runners.delete(runner.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>("/api/v4/projects/:id/runners", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    const runners = (await store.runners.list()).filter(
      (r) => r.runnerType === "instance_type" || r.projectIds.includes(found.project.id),
    );
    return pageOf(request, reply, runners, "").map((runner) => runnerEntity(runner, clock()));
  });
}
