/**
 * GitLab's deployments API (docs: api/deployments, https://docs.gitlab.com/api/deployments/):
 * - `GET /projects/:id/deployments` with `environment`, `status`, `order_by` (`id`, `iid`,
 *   `created_at`, `updated_at`, `finished_at`, `ref`; default `id`), `sort` (`asc` by default)
 *   and `page`/`per_page`;
 * - `GET /projects/:id/deployments/:deployment_id`;
 * - `POST /projects/:id/deployments` ("create a deployment": `environment`, `sha`, `ref`, `tag`,
 *   `status` — for scripts that deploy by themselves; the environment is created when new);
 * - `PUT /projects/:id/deployments/:deployment_id` (`status`) for such deployments.
 * And Conveyor's `GET /projects/:id/deployments/:deployment_id/log?offset=N`: the log lines from
 * N on, held (long poll, up to `timeout` seconds) until there are new ones or the deployment
 * ends, so `conveyor deploy apply` can stream progress.
 */
import { environmentSlug } from "@conveyor/pipeline";
import type { FastifyInstance, FastifyReply } from "fastify";
import { pageAhead, paging } from "../http/project-access.js";
import {
  ACCESS_LEVELS,
  type DeploymentOrder,
  type DeploymentStatus,
  type ProjectRecord,
} from "../store/types.js";
import type { DeployRoutes } from "./context.js";
import { refuse } from "./context.js";
import { EntityLoader } from "./entities.js";
import { tierOfName } from "../environments/tier.js";

/** The statuses a deployment is created with or set to through the API. */
const STATUSES = new Set<DeploymentStatus>(["created", "running", "success", "failed", "canceled"]);
/**
 * The statuses the list filters by: every status GitLab has, `skipped` (a job that never ran)
 * and `blocked` (waiting for approvals, which Conveyor has not: none is ever blocked) included.
 */
const LISTED = new Set<string>([...STATUSES, "skipped", "blocked"]);
const FINAL = new Set<DeploymentStatus>(["success", "failed", "canceled", "skipped"]);
const ORDERS = new Set<DeploymentOrder>([
  "id",
  "iid",
  "created_at",
  "updated_at",
  "finished_at",
  "ref",
]);

type DeploymentParams = { Params: { id: string; deployment_id: string } };

export function registerDeploymentsApi(app: FastifyInstance, routes: DeployRoutes): void {
  const { store, clock, feed } = routes.options;
  const loader = () => new EntityLoader(store, routes.options.serverUrl);

  const deploymentOf = async (project: ProjectRecord, given: string, reply: FastifyReply) => {
    const deployment = /^\d+$/.test(given)
      ? await store.deployments.byId(Number(given))
      : undefined;
    if (!deployment || deployment.projectId !== project.id) {
      refuse(reply, 404, "404 Deployment Not Found");
      return undefined;
    }
    return deployment;
  };

  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>(
    "/api/v4/projects/:id/deployments",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
      if (!caller) return reply;
      const { environment, status, order_by: orderBy, sort } = request.query;
      if (status !== undefined && !LISTED.has(status))
        return refuse(reply, 400, "400 Bad request - status does not have a valid value");
      if (orderBy !== undefined && !ORDERS.has(orderBy as DeploymentOrder))
        return refuse(reply, 400, "400 Bad request - order_by does not have a valid value");
      if (sort !== undefined && sort !== "asc" && sort !== "desc")
        return refuse(reply, 400, "400 Bad request - sort does not have a valid value");
      if (status === "blocked") return [];
      let environmentId: number | undefined;
      if (environment !== undefined) {
        const named = (await store.environments.ofProject(caller.project.id)).find(
          (e) => e.name === environment,
        );
        if (!named) return [];
        environmentId = named.id;
      }
      const window = paging(request.query);
      const rows = await store.deployments.list(caller.project.id, {
        ...(environmentId !== undefined ? { environmentId } : {}),
        ...(status !== undefined ? { status: status as DeploymentStatus } : {}),
        ...(orderBy !== undefined ? { orderBy: orderBy as DeploymentOrder } : {}),
        ...(sort !== undefined ? { sort } : {}),
        limit: window.limit + 1,
        offset: window.offset,
      });
      const load = loader();
      const out = [];
      for (const deployment of pageAhead(request, reply, rows, window, routes.options.serverUrl))
        out.push(await load.deployment(deployment));
      return out;
    },
  );

  app.get<DeploymentParams>(
    "/api/v4/projects/:id/deployments/:deployment_id",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
      if (!caller) return reply;
      const deployment = await deploymentOf(caller.project, request.params.deployment_id, reply);
      return deployment ? loader().deployment(deployment) : reply;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/v4/projects/:id/deployments",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.developer);
      if (!caller) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : "");
      const missing = ["environment", "sha", "ref", "status"].filter((key) => text(key) === "");
      if (missing.length > 0)
        return refuse(reply, 400, `400 Bad request - ${missing.join(", ")} is missing`);
      const status = text("status") as DeploymentStatus;
      if (!STATUSES.has(status))
        return refuse(reply, 400, "400 Bad request - status does not have a valid value");
      const now = clock();
      const environment = await store.environments.ensure(
        {
          projectId: caller.project.id,
          name: text("environment"),
          slug: environmentSlug(text("environment")),
          tier: tierOfName(text("environment")),
          state: "available",
        },
        now,
      );
      if (environment.protected && caller.level < ACCESS_LEVELS.maintainer)
        return refuse(reply, 403, "403 Forbidden - environment is protected");
      const deployment = await store.deployments.create(
        {
          projectId: caller.project.id,
          environmentId: environment.id,
          status,
          source: "api",
          ref: text("ref"),
          sha: text("sha"),
          tag: body.tag === true || body.tag === "true",
          ...(caller.user ? { userId: caller.user.id } : {}),
          ...(caller.job ? { jobId: caller.job.id, pipelineId: caller.job.pipelineId } : {}),
          ...(status === "running" ? { startedAt: now } : {}),
          ...(FINAL.has(status) ? { finishedAt: now } : {}),
        },
        now,
      );
      return reply.code(201).send(await loader().deployment(deployment));
    },
  );

  app.put<DeploymentParams>(
    "/api/v4/projects/:id/deployments/:deployment_id",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.developer);
      if (!caller) return reply;
      const deployment = await deploymentOf(caller.project, request.params.deployment_id, reply);
      if (!deployment) return reply;
      const status = (request.body as Record<string, unknown> | undefined)?.status;
      if (typeof status !== "string" || !STATUSES.has(status as DeploymentStatus))
        return refuse(reply, 400, "400 Bad request - status does not have a valid value");
      if (deployment.source !== "api") {
        return refuse(
          reply,
          400,
          `400 Bad request - deployment ${deployment.id} is run by ${
            deployment.source === "job" ? `job ${deployment.jobId}` : "Conveyor's deploy engine"
          }; its status follows it`,
        );
      }
      const now = clock();
      const updated = await store.deployments.update(
        deployment.id,
        {
          status: status as DeploymentStatus,
          ...(status === "running" && deployment.startedAt === undefined ? { startedAt: now } : {}),
          ...(FINAL.has(status as DeploymentStatus) ? { finishedAt: now } : {}),
        },
        now,
      );
      feed.notify(deployment.id);
      return updated ? loader().deployment(updated) : reply;
    },
  );

  app.get<DeploymentParams & { Querystring: { offset?: string; timeout?: string } }>(
    "/api/v4/projects/:id/deployments/:deployment_id/log",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
      if (!caller) return reply;
      const deployment = await deploymentOf(caller.project, request.params.deployment_id, reply);
      if (!deployment) return reply;
      const offset = Math.max(0, Number(request.query.offset ?? 0) || 0);
      const holdMs = routes.options.logHoldMs ?? 20_000;
      const timeoutMs = Math.min(
        holdMs,
        request.query.timeout === undefined
          ? holdMs
          : Math.max(0, Number(request.query.timeout) * 1000 || 0),
      );
      const abort = new AbortController();
      request.raw.once("close", () => abort.abort());
      reply.raw.once("close", () => abort.abort());
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // Read the status before the lines: lines written before a final status are then seen.
        const current = (await store.deployments.byId(deployment.id)) ?? deployment;
        const lines = await store.deployments.log(deployment.id, offset);
        const complete = FINAL.has(current.status);
        const left = deadline - Date.now();
        if (lines.length > 0 || complete || left <= 0 || abort.signal.aborted) {
          return {
            deployment_id: deployment.id,
            status: current.status,
            offset: offset + lines.length,
            lines,
            complete,
          };
        }
        // Bounded waits: another server process writing to a shared database does not notify.
        await feed.wait(deployment.id, Math.min(left, 1000), abort.signal);
      }
    },
  );
}
