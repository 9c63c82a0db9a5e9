/**
 * Kubernetes clusters: `/api/v4/projects/:id/clusters` (Maintainer and above) and the
 * instance's `/api/v4/clusters` (administrators), each with POST, GET and DELETE. A cluster is
 * registered once with a kubeconfig, or an API server URL with a service-account token and CA;
 * the credentials are sealed with the server's secret box before they are stored and no
 * answer ever contains them (GET shows the name and the kind of credentials only).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { projectAccess } from "../http/project-access.js";
import { ACCESS_LEVELS, type ClusterRecord, StoreConflict } from "../store/types.js";
import type { DeployRoutes } from "./context.js";
import { refuse } from "./context.js";
import { credentialsFromBody, sealCredentials } from "./credentials.js";
import { clusterEntity } from "./entities.js";

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function registerClustersApi(app: FastifyInstance, routes: DeployRoutes): void {
  const { store, clock, secrets } = routes.options;
  const people = projectAccess(store, clock);

  const create = async (reply: FastifyReply, body: Record<string, unknown>, projectId?: number) => {
    const name = typeof body.name === "string" ? body.name : "";
    if (!CLUSTER_NAME.test(name))
      return reply.code(400).send({ message: { name: ["is invalid"] } });
    const input = credentialsFromBody(body);
    if ("error" in input) return refuse(reply, 400, `400 Bad request - ${input.error}`);
    try {
      const cluster = await store.clusters.create(
        {
          name,
          credentialKind: input.kind,
          credentialsCiphertext: sealCredentials(secrets, input.credentials),
          ...(projectId !== undefined ? { projectId } : {}),
        },
        clock(),
      );
      return reply.code(201).send(clusterEntity(cluster));
    } catch (error) {
      if (error instanceof StoreConflict)
        return reply.code(400).send({ message: { name: ["has already been taken"] } });
      throw error;
    }
  };

  const owned = async (
    id: string,
    projectId: number | undefined,
  ): Promise<ClusterRecord | undefined> => {
    const cluster = /^\d+$/.test(id) ? await store.clusters.byId(Number(id)) : undefined;
    return cluster && cluster.projectId === projectId ? cluster : undefined;
  };

  app.post<{ Params: { id: string } }>("/api/v4/projects/:id/clusters", async (request, reply) => {
    const found = await people.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    return create(reply, (request.body ?? {}) as Record<string, unknown>, found.project.id);
  });

  app.get<{ Params: { id: string } }>("/api/v4/projects/:id/clusters", async (request, reply) => {
    const found = await people.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    return (await store.clusters.list(found.project.id)).map(clusterEntity);
  });

  app.get<{ Params: { id: string; cluster_id: string } }>(
    "/api/v4/projects/:id/clusters/:cluster_id",
    async (request, reply) => {
      const found = await people.project(request, reply, ACCESS_LEVELS.maintainer);
      if (!found) return reply;
      const cluster = await owned(request.params.cluster_id, found.project.id);
      return cluster ? clusterEntity(cluster) : refuse(reply, 404, "404 Cluster Not Found");
    },
  );

  app.delete<{ Params: { id: string; cluster_id: string } }>(
    "/api/v4/projects/:id/clusters/:cluster_id",
    async (request, reply) => {
      const found = await people.project(request, reply, ACCESS_LEVELS.maintainer);
      if (!found) return reply;
      const cluster = await owned(request.params.cluster_id, found.project.id);
      if (!cluster) return refuse(reply, 404, "404 Cluster Not Found");
      await store.clusters.delete(cluster.id);
      return reply.code(204).send();
    },
  );

  app.post("/api/v4/clusters", async (request, reply) => {
    if (!(await people.admin(request, reply))) return reply;
    return create(reply, (request.body ?? {}) as Record<string, unknown>);
  });

  app.get("/api/v4/clusters", async (request, reply) => {
    if (!(await people.admin(request, reply))) return reply;
    return (await store.clusters.list()).map(clusterEntity);
  });

  app.get<{ Params: { cluster_id: string } }>(
    "/api/v4/clusters/:cluster_id",
    async (request, reply) => {
      if (!(await people.admin(request, reply))) return reply;
      const cluster = await owned(request.params.cluster_id, undefined);
      return cluster ? clusterEntity(cluster) : refuse(reply, 404, "404 Cluster Not Found");
    },
  );

  app.delete<{ Params: { cluster_id: string } }>(
    "/api/v4/clusters/:cluster_id",
    async (request, reply) => {
      if (!(await people.admin(request, reply))) return reply;
      const cluster = await owned(request.params.cluster_id, undefined);
      if (!cluster) return refuse(reply, 404, "404 Cluster Not Found");
      await store.clusters.delete(cluster.id);
      return reply.code(204).send();
    },
  );
}
