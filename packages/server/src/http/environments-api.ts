/**
 * Environments over the REST API (docs: api/environments): list, get, create, stop, delete.
 * Jobs with `environment:` create theirs when they start (see dispatch/environments.ts); a
 * stopped environment can be deleted, an available one cannot.
 */
import { environmentSlug } from "@conveyor/pipeline";
import type { FastifyInstance, FastifyReply } from "fastify";
import {
  ACCESS_LEVELS,
  type EnvironmentRecord,
  type Store,
  StoreConflict,
} from "../store/types.js";
import { pageOf, projectAccess, sendError } from "./project-access.js";

export interface EnvironmentsApiOptions {
  store: Store;
  clock: () => number;
}

const TIERS = new Set(["production", "staging", "testing", "development", "other"]);
/** GitLab's environment names: letters, digits, spaces and `-_/$(){}.`. */
const NAME_PATTERN = /^[A-Za-z0-9 _/${}().-]{1,255}$/;

export function environmentEntity(environment: EnvironmentRecord) {
  return {
    id: environment.id,
    name: environment.name,
    slug: environment.slug,
    external_url: environment.externalUrl ?? null,
    state: environment.state,
    tier: environment.tier,
    created_at: new Date(environment.createdAt).toISOString(),
    updated_at: new Date(environment.updatedAt).toISOString(),
    last_deployment:
      environment.lastDeploymentJobId === undefined
        ? null
        : { deployable: { id: environment.lastDeploymentJobId } },
  };
}

type EnvironmentParams = { Params: { id: string; environment_id: string } };

export function registerEnvironmentsApi(
  app: FastifyInstance,
  options: EnvironmentsApiOptions,
): void {
  const { store, clock } = options;
  const access = projectAccess(store, clock);

  const environmentOf = async (
    request: Parameters<typeof access.project>[0] & { params: { environment_id: string } },
    reply: FastifyReply,
    level: number,
  ) => {
    const found = await access.project(request, reply, level);
    if (!found) return undefined;
    const environment = await store.environments.byId(Number(request.params.environment_id));
    if (!environment || environment.projectId !== found.project.id) {
      sendError(reply, 404, "404 Not found");
      return undefined;
    }
    return environment;
  };

  app.get<{
    Params: { id: string };
    Querystring: { name?: string; search?: string; states?: string };
  }>("/api/v4/projects/:id/environments", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.reporter);
    if (!found) return reply;
    const { name, search, states } = request.query;
    const matching = (await store.environments.ofProject(found.project.id))
      .filter((e) => name === undefined || e.name === name)
      .filter((e) => search === undefined || e.name.includes(search))
      .filter((e) => states === undefined || e.state === states);
    return pageOf(request, reply, matching, "").map(environmentEntity);
  });

  app.get<EnvironmentParams>(
    "/api/v4/projects/:id/environments/:environment_id",
    async (request, reply) => {
      const environment = await environmentOf(request, reply, ACCESS_LEVELS.reporter);
      return environment ? environmentEntity(environment) : reply;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/v4/projects/:id/environments",
    async (request, reply) => {
      const found = await access.project(request, reply, ACCESS_LEVELS.developer);
      if (!found) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const name = typeof body.name === "string" ? body.name : "";
      if (!NAME_PATTERN.test(name))
        return reply.code(400).send({ message: { name: ["is invalid"] } });
      const tier = typeof body.tier === "string" ? body.tier : "other";
      if (!TIERS.has(tier))
        return reply.code(400).send({ message: { tier: ["is not included in the list"] } });
      const existing = (await store.environments.ofProject(found.project.id)).find(
        (e) => e.name === name,
      );
      if (existing) return reply.code(400).send({ message: { name: ["has already been taken"] } });
      try {
        const environment = await store.environments.ensure(
          {
            projectId: found.project.id,
            name,
            slug: environmentSlug(name),
            tier,
            state: "available",
            ...(typeof body.external_url === "string" ? { externalUrl: body.external_url } : {}),
          },
          clock(),
        );
        return reply.code(201).send(environmentEntity(environment));
      } catch (error) {
        if (error instanceof StoreConflict)
          return reply.code(400).send({ message: { name: ["has already been taken"] } });
        throw error;
      }
    },
  );

  app.post<EnvironmentParams>(
    "/api/v4/projects/:id/environments/:environment_id/stop",
    async (request, reply) => {
      const environment = await environmentOf(request, reply, ACCESS_LEVELS.developer);
      if (!environment) return reply;
      const stopped = await store.environments.update(
        environment.id,
        { state: "stopped" },
        clock(),
      );
      return stopped ? environmentEntity(stopped) : reply;
    },
  );

  app.delete<EnvironmentParams>(
    "/api/v4/projects/:id/environments/:environment_id",
    async (request, reply) => {
      const environment = await environmentOf(request, reply, ACCESS_LEVELS.maintainer);
      if (!environment) return reply;
      if (environment.state !== "stopped") {
        return reply.code(403).send({
          message: "403 Forbidden - Environment must be stopped before it can be deleted",
        });
      }
      await store.environments.delete(environment.id);
      return reply.code(204).send();
    },
  );
}
