/**
 * Environments over the REST API (docs: api/environments, https://docs.gitlab.com/api/environments/):
 * list, get, create, update (PUT), stop, delete. Jobs with `environment:` create theirs when
 * they start (see dispatch/environments.ts). Stopping runs the environment's `on_stop` jobs
 * unless `force` is given (environments/lifecycle.ts); only a stopped environment can be
 * deleted ("The environment must be stopped first, otherwise the request returns 403").
 * Stopping and deleting need Developer, and Maintainer for a protected environment (docs:
 * ci/environments, "Stop and delete environments"). Conveyor's deploy engine adds:
 * `cluster_id` and `kubernetes_namespace` (GitLab's name for an environment's namespace) say
 * where it deploys, `impersonate` applies as the requesting user, `protected` keeps deploys to
 * Maintainers, and `pinned_version` shows a rollback's pin. Setting the cluster fields needs
 * Maintainer.
 */
import { environmentSlug } from "@conveyor/pipeline";
import type { FastifyInstance, FastifyReply } from "fastify";
import { EntityLoader } from "../deploy/entities.js";
import type { StopOptions } from "../environments/lifecycle.js";
import { TIERS, tierOfName } from "../environments/tier.js";
import {
  ACCESS_LEVELS,
  type EnvironmentChange,
  type EnvironmentRecord,
  type ProjectRecord,
  type Store,
  StoreConflict,
} from "../store/types.js";
import { pageOf, projectAccess, sendError } from "./project-access.js";

export interface EnvironmentsApiOptions {
  store: Store;
  clock: () => number;
  readonly serverUrl: string;
  /** Stops an environment as GitLab does (the server's EnvironmentLifecycle). */
  environments: {
    stop(environment: EnvironmentRecord, options?: StopOptions): Promise<EnvironmentRecord>;
  };
}
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
    auto_stop_at:
      environment.autoStopAt === undefined ? null : new Date(environment.autoStopAt).toISOString(),
    last_deployment:
      environment.lastDeploymentJobId === undefined
        ? null
        : { deployable: { id: environment.lastDeploymentJobId } },
    cluster_id: environment.clusterId ?? null,
    kubernetes_namespace: environment.namespace ?? null,
    impersonate: environment.impersonate,
    protected: environment.protected,
    pinned: environment.pinnedVersionId !== undefined,
  };
}

/** The entity with its last successful deployment and its pin, read through `loader`. */
export async function environmentView(loader: EntityLoader, environment: EnvironmentRecord) {
  const extras = await loader.environmentExtras(environment);
  const base = environmentEntity(environment);
  return { ...base, ...extras, last_deployment: extras.last_deployment ?? base.last_deployment };
}

/**
 * The deploy settings in a create or update body, checked: the cluster must be the project's
 * or the instance's. Answers the change, or the 400 message.
 */
async function deploySettings(
  store: Store,
  project: ProjectRecord,
  body: Record<string, unknown>,
): Promise<{ change: EnvironmentChange } | { error: string }> {
  const change: EnvironmentChange = {};
  if ("cluster_id" in body) {
    if (body.cluster_id === null || body.cluster_id === "") change.clusterId = undefined;
    else {
      const cluster = await store.clusters.byId(Number(body.cluster_id));
      if (!cluster || (cluster.projectId !== undefined && cluster.projectId !== project.id))
        return { error: "cluster_id names no cluster of this project or instance" };
      change.clusterId = cluster.id;
    }
  }
  if ("kubernetes_namespace" in body) {
    const namespace = body.kubernetes_namespace;
    if (namespace === null || namespace === "") change.namespace = undefined;
    else if (
      typeof namespace !== "string" ||
      !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)
    )
      // A namespace is a DNS label (RFC 1123): kubernetes.io/docs/concepts/overview/working-with-objects/names
      return { error: "kubernetes_namespace must be a DNS label (lowercase letters, digits, -)" };
    else change.namespace = namespace;
  }
  for (const flag of ["impersonate", "protected"] as const) {
    if (flag in body) change[flag] = body[flag] === true || body[flag] === "true";
  }
  return { change };
}

const DEPLOY_FIELDS = ["cluster_id", "kubernetes_namespace", "impersonate", "protected"];

type EnvironmentParams = { Params: { id: string; environment_id: string } };

export function registerEnvironmentsApi(
  app: FastifyInstance,
  options: EnvironmentsApiOptions,
): void {
  const { store, clock } = options;
  const access = projectAccess(store, clock);
  const loader = () => new EntityLoader(store, options.serverUrl);
  const views = async (environments: EnvironmentRecord[]) => {
    const load = loader();
    const out = [];
    for (const environment of environments) out.push(await environmentView(load, environment));
    return out;
  };

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
    return views(pageOf(request, reply, matching, ""));
  });

  app.get<EnvironmentParams>(
    "/api/v4/projects/:id/environments/:environment_id",
    async (request, reply) => {
      const environment = await environmentOf(request, reply, ACCESS_LEVELS.reporter);
      return environment ? environmentView(loader(), environment) : reply;
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
      // Without a tier GitLab assumes one from the name (docs: ci/environments, "Deployment tier").
      const tier = typeof body.tier === "string" ? body.tier : tierOfName(name);
      if (!TIERS.has(tier))
        return reply.code(400).send({ message: { tier: ["is not included in the list"] } });
      const existing = (await store.environments.ofProject(found.project.id)).find(
        (e) => e.name === name,
      );
      if (existing) return reply.code(400).send({ message: { name: ["has already been taken"] } });
      const settings = await deploySettings(store, found.project, body);
      if ("error" in settings) return sendError(reply, 400, `400 Bad request - ${settings.error}`);
      if (Object.keys(settings.change).length > 0 && found.level < ACCESS_LEVELS.maintainer)
        return sendError(reply, 403, "403 Forbidden - deploy settings need Maintainer");
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
        const configured =
          Object.keys(settings.change).length > 0
            ? ((await store.environments.update(environment.id, settings.change, clock())) ??
              environment)
            : environment;
        return reply.code(201).send(await environmentView(loader(), configured));
      } catch (error) {
        if (error instanceof StoreConflict)
          return reply.code(400).send({ message: { name: ["has already been taken"] } });
        throw error;
      }
    },
  );

  app.put<EnvironmentParams>(
    "/api/v4/projects/:id/environments/:environment_id",
    async (request, reply) => {
      const found = await access.project(request, reply, ACCESS_LEVELS.developer);
      if (!found) return reply;
      const environment = await environmentOf(request, reply, ACCESS_LEVELS.developer);
      if (!environment) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const settings = await deploySettings(store, found.project, body);
      if ("error" in settings) return sendError(reply, 400, `400 Bad request - ${settings.error}`);
      if (DEPLOY_FIELDS.some((field) => field in body) && found.level < ACCESS_LEVELS.maintainer)
        return sendError(reply, 403, "403 Forbidden - deploy settings need Maintainer");
      const change: EnvironmentChange = { ...settings.change };
      if (typeof body.external_url === "string")
        change.externalUrl = body.external_url === "" ? undefined : body.external_url;
      if (typeof body.tier === "string") {
        if (!TIERS.has(body.tier))
          return reply.code(400).send({ message: { tier: ["is not included in the list"] } });
        change.tier = body.tier;
      }
      const updated = await store.environments.update(environment.id, change, clock());
      return updated ? environmentView(loader(), updated) : reply;
    },
  );

  /** The environment a stop or delete acts on: Developer, or Maintainer when it is protected. */
  const stoppableOf = async (
    request: Parameters<typeof environmentOf>[0],
    reply: FastifyReply,
  ): Promise<EnvironmentRecord | undefined> => {
    const found = await access.project(request, reply, ACCESS_LEVELS.developer);
    if (!found) return undefined;
    const environment = await environmentOf(request, reply, ACCESS_LEVELS.developer);
    if (!environment) return undefined;
    if (environment.protected && found.level < ACCESS_LEVELS.maintainer) {
      sendError(reply, 403, "403 Forbidden - environment is protected");
      return undefined;
    }
    return environment;
  };

  app.post<EnvironmentParams & { Querystring: { force?: string } }>(
    "/api/v4/projects/:id/environments/:environment_id/stop",
    async (request, reply) => {
      const environment = await stoppableOf(request, reply);
      if (!environment) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const force = [body.force, request.query.force].some((v) => v === true || v === "true");
      const after = await options.environments.stop(environment, { force });
      // GitLab answers 200 with the environment as the stop left it (`stopping` while its
      // on_stop job runs).
      return reply.code(200).send(await environmentView(loader(), after));
    },
  );

  app.delete<EnvironmentParams>(
    "/api/v4/projects/:id/environments/:environment_id",
    async (request, reply) => {
      const environment = await stoppableOf(request, reply);
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
