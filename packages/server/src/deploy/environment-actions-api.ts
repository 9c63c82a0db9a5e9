/**
 * Conveyor's deploy actions on an environment (`:environment` is its id or URL-encoded name):
 * - `POST /projects/:id/environments/:environment/deploy` `{ resource_set, version?, supersede? }`
 *   queues a deployment of a version (a digest, an id, or `latest`, the default) → 201;
 * - `POST …/diff` `{ resource_set, version? }` → what an apply would change (`Deployer.diff`);
 * - `POST …/rollback` `{ deployment_id }` or `{ version, resource_set? }` applies an earlier
 *   version exactly as stored and pins the environment to it (Maintainer);
 * - `POST …/unpin` releases the pin (Maintainer);
 * - `POST …/redeploy` applies the environment's current version again.
 * Deploy, diff and redeploy need Developer (Maintainer on a protected environment); a CI job
 * may call them with its job token while it runs. A deploy while the environment is pinned is
 * refused (409) with a message saying how to unpin.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import {
  ACCESS_LEVELS,
  ENGINE_SOURCES,
  type EnvironmentRecord,
  type ResourceSetVersionRecord,
} from "../store/types.js";
import type { DeployCaller } from "./caller.js";
import type { DeployRoutes } from "./context.js";
import { environmentNamed, refuse, resourceSetNamed, versionNamed } from "./context.js";
import { openCredentials, redact, secretsOf } from "./credentials.js";
import { EntityLoader } from "./entities.js";
import { environmentView } from "../http/environments-api.js";
import { queueDeployment, type QueueRequest } from "./service.js";

type ActionParams = { Params: { id: string; environment: string } };
type Body = Record<string, unknown>;

export function registerEnvironmentActionsApi(app: FastifyInstance, routes: DeployRoutes): void {
  const { store, clock, secrets } = routes.options;
  const loader = () => new EntityLoader(store, routes.options.serverUrl);

  /** The caller and the environment, when the caller may act there with `level`. */
  const target = async (
    request: Parameters<typeof routes.access.project>[0] & { params: { environment: string } },
    reply: FastifyReply,
    level: number,
    jobToken = true,
  ): Promise<{ caller: DeployCaller; environment: EnvironmentRecord } | undefined> => {
    const caller = await routes.access.project(request, reply, level, { jobToken });
    if (!caller) return undefined;
    const environment = await environmentNamed(store, caller.project, request.params.environment);
    if (!environment) {
      refuse(reply, 404, "404 Environment Not Found");
      return undefined;
    }
    if (environment.protected && caller.level < ACCESS_LEVELS.maintainer) {
      refuse(reply, 403, `403 Forbidden - environment ${environment.name} is protected`);
      return undefined;
    }
    return { caller, environment };
  };

  /** The version a body names (`resource_set` + `version`), or undefined after answering. */
  const versionOf = async (caller: DeployCaller, body: Body, reply: FastifyReply) => {
    const setName = typeof body.resource_set === "string" ? body.resource_set : "";
    if (setName === "") {
      refuse(reply, 400, "400 Bad request - resource_set is missing");
      return undefined;
    }
    const set = await resourceSetNamed(store, caller.project, setName);
    const given = typeof body.version === "string" ? body.version : undefined;
    const version = set && (await versionNamed(store, set, given));
    if (!set || !version) {
      refuse(
        reply,
        404,
        `404 Version Not Found - resource set ${setName} has no version ${given ?? "yet"}` +
          " (push one with conveyor deploy push)",
      );
      return undefined;
    }
    return version;
  };

  const queue = async (reply: FastifyReply, request: QueueRequest) => {
    const answer = await queueDeployment(
      { store, clock, feed: routes.options.feed, kick: routes.options.kick },
      request,
    );
    if ("refused" in answer) return refuse(reply, answer.refused.status, answer.refused.message);
    return reply.code(201).send(await loader().deployment(answer.deployment));
  };

  app.post<ActionParams>(
    "/api/v4/projects/:id/environments/:environment/deploy",
    async (request, reply) => {
      const found = await target(request, reply, ACCESS_LEVELS.developer);
      if (!found) return reply;
      if (!routes.engine(reply)) return reply;
      const body = (request.body ?? {}) as Body;
      const version = await versionOf(found.caller, body, reply);
      if (!version) return reply;
      return queue(reply, {
        ...found,
        version,
        source: "deploy",
        supersede: body.supersede === true || body.supersede === "true",
      });
    },
  );

  app.post<ActionParams>(
    "/api/v4/projects/:id/environments/:environment/diff",
    async (request, reply) => {
      const found = await target(request, reply, ACCESS_LEVELS.developer);
      if (!found) return reply;
      const engine = routes.engine(reply);
      if (!engine) return reply;
      const version = await versionOf(found.caller, (request.body ?? {}) as Body, reply);
      if (!version) return reply;
      const { environment } = found;
      const cluster =
        environment.clusterId !== undefined
          ? await store.clusters.byId(environment.clusterId)
          : undefined;
      if (!cluster || !environment.namespace)
        return refuse(
          reply,
          400,
          `400 Bad request - environment ${environment.name} has no cluster and namespace`,
        );
      const credentials = openCredentials(secrets, cluster);
      const previous = await store.deployments.lastInventory(environment.id);
      const abort = new AbortController();
      request.raw.once("close", () => abort.abort());
      try {
        const entries = await engine.diff({
          target: { credentials, namespace: environment.namespace },
          version: version.rendered,
          previousInventory: previous?.inventory ?? [],
          signal: abort.signal,
        });
        return {
          environment: { id: environment.id, name: environment.name },
          version: { id: version.id, digest: version.digest },
          entries,
        };
      } catch (error) {
        const message = redact(
          error instanceof Error ? error.message : String(error),
          secretsOf(credentials),
        );
        return refuse(reply, 502, `502 Bad Gateway - diff failed: ${message}`);
      }
    },
  );

  app.post<ActionParams>(
    "/api/v4/projects/:id/environments/:environment/rollback",
    async (request, reply) => {
      const found = await target(request, reply, ACCESS_LEVELS.maintainer, false);
      if (!found) return reply;
      if (!routes.engine(reply)) return reply;
      const body = (request.body ?? {}) as Body;
      let version: ResourceSetVersionRecord | undefined;
      const deploymentId = body.deployment_id;
      if (deploymentId !== undefined) {
        const earlier = await store.deployments.byId(Number(deploymentId));
        if (!earlier || earlier.environmentId !== found.environment.id)
          return refuse(
            reply,
            404,
            `404 Deployment Not Found - no deployment ${String(deploymentId)} of ${found.environment.name}`,
          );
        version = await store.resourceSets.versionById(earlier.versionId ?? -1);
        if (!version)
          return refuse(
            reply,
            400,
            `400 Bad request - deployment ${earlier.id} applied no stored version`,
          );
      } else if (typeof body.version === "string") {
        const named =
          typeof body.resource_set === "string"
            ? body.resource_set
            : await currentSetName(found.environment.id);
        if (!named) return refuse(reply, 400, "400 Bad request - resource_set is missing");
        version = await versionOf(
          found.caller,
          { resource_set: named, version: body.version },
          reply,
        );
        if (!version) return reply;
      } else {
        return refuse(reply, 400, "400 Bad request - deployment_id or version is missing");
      }
      return queue(reply, {
        ...found,
        version,
        source: "rollback",
        supersede: body.supersede === true,
      });
    },
  );

  app.post<ActionParams>(
    "/api/v4/projects/:id/environments/:environment/unpin",
    async (request, reply) => {
      const found = await target(request, reply, ACCESS_LEVELS.maintainer, false);
      if (!found) return reply;
      const unpinned = await store.environments.update(
        found.environment.id,
        { pinnedVersionId: undefined },
        clock(),
      );
      return unpinned ? environmentView(loader(), unpinned) : reply;
    },
  );

  app.post<ActionParams>(
    "/api/v4/projects/:id/environments/:environment/redeploy",
    async (request, reply) => {
      const found = await target(request, reply, ACCESS_LEVELS.developer);
      if (!found) return reply;
      if (!routes.engine(reply)) return reply;
      const current = await store.deployments.lastSuccessful(found.environment.id, true);
      const version = await store.resourceSets.versionById(current?.versionId ?? -1);
      if (!version)
        return refuse(
          reply,
          400,
          `400 Bad request - environment ${found.environment.name} has no successful deployment to redeploy`,
        );
      return queue(reply, { ...found, version, source: "redeploy", supersede: false });
    },
  );

  /** The resource set of the environment's newest engine deployment. */
  const currentSetName = async (environmentId: number) => {
    const environment = await store.environments.byId(environmentId);
    if (!environment) return undefined;
    const newest = (
      await store.deployments.list(environment.projectId, {
        environmentId,
        sort: "desc",
        limit: 20,
      })
    ).find((d) => ENGINE_SOURCES.includes(d.source) && d.versionId !== undefined);
    const version = await store.resourceSets.versionById(newest?.versionId ?? -1);
    return (await store.resourceSets.byId(version?.resourceSetId ?? -1))?.name;
  };
}
