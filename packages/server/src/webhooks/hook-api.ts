/**
 * Inbound push webhooks: a project builds what is pushed to a repository on GitLab, GitHub or
 * Gitea. Maintainers register a hook (`POST /projects/:id/inbound_hooks {provider, secret,
 * clone_url}`; the secret is sealed by the SecretBox and never shown again), list and delete
 * hooks; the provider delivers to `POST /api/v4/hooks/inbound/:hook_id`.
 *
 * A delivery is checked before anything else (deliveries.ts): a wrong or missing token or
 * signature answers 401 and does nothing. Then: GitHub's `ping` → 200; an event other than a
 * push → 202 with the reason; a push that deleted its ref → 202, nothing starts; a push →
 * the ref is fetched from the clone URL into the project's bare repository (one delivery per
 * project at a time) and a pipeline starts (source `push`) at the pushed commit → 202
 * `{"pipeline_id": n}`, or 202 `{"pipeline_id": null, "message": reason}` when the starter
 * created none. A failed fetch answers 502 so the provider shows the delivery as failed and
 * can redeliver it.
 */
import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { projectAccess, sendError } from "../http/project-access.js";
import type { PipelineStarter } from "../pipelines/starter.js";
import type { SecretBox } from "../secrets/secret-box.js";
import {
  ACCESS_LEVELS,
  type InboundHookRecord,
  type ProjectRecord,
  type Store,
} from "../store/types.js";
import { requestFields, stringField } from "../triggers/request-fields.js";
import { KeyedSerial } from "../util/serial.js";
import { isAcceptableCloneUrl } from "./clone-url.js";
import {
  eventOf,
  isAuthentic,
  payloadOf,
  PROVIDERS,
  type Provider,
  type PushFacts,
  pushFactsOf,
} from "./deliveries.js";
import { inboundHookEntity } from "./entities.js";
import { gitRefFetcher, type RefFetcher } from "./fetch-ref.js";

export interface InboundHookDeps {
  store: Store;
  secrets: SecretBox;
  starter: PipelineStarter;
  clock: () => number;
  /** Read at every request, so it may be a getter. */
  readonly serverUrl: string;
  /** The directory of the project's hosted bare repository. */
  repositoryPath: (project: ProjectRecord) => string;
  /**
   * Accept `file://` URLs and local paths as clone URLs (tests, single-user servers). Off by
   * default: they would let a maintainer copy any repository on the server's disk.
   */
  allowLocalCloneUrls?: boolean;
  /** Default: `git fetch` (fetch-ref.ts). */
  fetchRef?: RefFetcher;
  log?: (line: string) => void;
}

/** GitHub's cap on a delivery (docs: webhooks/webhook-events-and-payloads, "Payload cap"). */
const DELIVERY_LIMIT = 25 * 1024 * 1024;

type HookParams = { Params: { id: string; hook_id: string } };

/** Registers the management routes and the delivery route, each in its own plugin scope. */
export function registerInboundHooks(app: FastifyInstance, deps: InboundHookDeps): void {
  void app.register(async (scope) => {
    if (!scope.hasContentTypeParser("application/x-www-form-urlencoded"))
      await scope.register(formbody);
    managementRoutes(scope, deps);
  });
  void app.register(async (scope) => {
    // Signatures cover the exact bytes sent: every body stays a Buffer in this scope.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: DELIVERY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    deliveryRoute(scope, deps);
  });
}

function managementRoutes(app: FastifyInstance, deps: InboundHookDeps): void {
  const { store } = deps;
  const access = projectAccess(store, deps.clock);
  const allowLocal = deps.allowLocalCloneUrls ?? false;

  app.post<{ Params: { id: string } }>(
    "/api/v4/projects/:id/inbound_hooks",
    async (request, reply) => {
      const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
      if (!found) return reply;
      const fields = await requestFields(request);
      const provider = stringField(fields, "provider");
      const secret = stringField(fields, "secret");
      const cloneUrl = stringField(fields, "clone_url");
      const missing = [
        provider === undefined ? "provider" : undefined,
        secret === undefined ? "secret" : undefined,
        cloneUrl === undefined ? "clone_url" : undefined,
      ].filter((name) => name !== undefined);
      if (missing.length > 0) {
        return reply
          .code(400)
          .send({ error: missing.map((name) => `${name} is missing`).join(", ") });
      }
      const invalid: Record<string, string[]> = {};
      if (!PROVIDERS.includes(provider as Provider))
        invalid.provider = [`must be one of ${PROVIDERS.join(", ")}`];
      if (secret === "") invalid.secret = ["can't be blank"];
      if (!isAcceptableCloneUrl(cloneUrl!, allowLocal))
        invalid.clone_url = ["is not an accepted repository URL"];
      if (Object.keys(invalid).length > 0) return reply.code(400).send({ message: invalid });
      const hook = await store.hooks.create(
        {
          projectId: found.project.id,
          provider: provider as Provider,
          secretCiphertext: deps.secrets.seal(secret!),
          cloneUrl: cloneUrl!,
        },
        deps.clock(),
      );
      return reply.code(201).send(inboundHookEntity(hook, deps.serverUrl));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v4/projects/:id/inbound_hooks",
    async (request, reply) => {
      const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
      if (!found) return reply;
      const hooks = await store.hooks.ofProject(found.project.id);
      return hooks.map((hook) => inboundHookEntity(hook, deps.serverUrl));
    },
  );

  const hookOf = async (request: FastifyRequest<HookParams>, reply: FastifyReply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return undefined;
    const id = request.params.hook_id;
    const hook = /^\d+$/.test(id) ? await store.hooks.byId(Number(id)) : undefined;
    if (!hook || hook.projectId !== found.project.id) {
      sendError(reply, 404, "404 Hook Not Found");
      return undefined;
    }
    return hook;
  };

  app.get<HookParams>("/api/v4/projects/:id/inbound_hooks/:hook_id", async (request, reply) => {
    const hook = await hookOf(request, reply);
    return hook ? inboundHookEntity(hook, deps.serverUrl) : reply;
  });

  app.delete<HookParams>("/api/v4/projects/:id/inbound_hooks/:hook_id", async (request, reply) => {
    const hook = await hookOf(request, reply);
    if (!hook) return reply;
    await store.hooks.delete(hook.id);
    return reply.code(204).send();
  });
}

function deliveryRoute(app: FastifyInstance, deps: InboundHookDeps): void {
  const { store } = deps;
  const fetchRef =
    deps.fetchRef ?? gitRefFetcher({ allowLocal: deps.allowLocalCloneUrls ?? false });
  const perProject = new KeyedSerial<number>();
  const log = deps.log ?? (() => undefined);

  app.post<{ Params: { hook_id: string } }>(
    "/api/v4/hooks/inbound/:hook_id",
    { bodyLimit: DELIVERY_LIMIT },
    async (request, reply) => {
      const id = request.params.hook_id;
      const hook = /^\d+$/.test(id) ? await store.hooks.byId(Number(id)) : undefined;
      if (!hook) return sendError(reply, 404, "404 Not Found");
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (
        !isAuthentic(hook.provider, request.headers, body, deps.secrets.open(hook.secretCiphertext))
      ) {
        return sendError(reply, 401, "401 Unauthorized");
      }
      const event = eventOf(hook.provider, request.headers);
      if (event.kind === "ping") return reply.code(200).send({ message: "pong" });
      if (event.kind === "other") {
        return ignored(reply, `the ${event.name || "unnamed"} event does not start pipelines`);
      }
      let payload: unknown;
      try {
        payload = payloadOf(request.headers["content-type"], body);
      } catch {
        return sendError(reply, 400, "the payload is not valid JSON");
      }
      const push = pushFactsOf(payload);
      if ("invalid" in push) return sendError(reply, 400, push.invalid);
      if (push.deleted) return ignored(reply, `${push.ref} was deleted: nothing to build`);
      const project = await store.projects.byId(hook.projectId);
      if (!project) return sendError(reply, 404, "404 Not Found");
      return perProject.run(project.id, () =>
        deliverPush(deps, fetchRef, log, { hook, project, push }, reply),
      );
    },
  );
}

async function deliverPush(
  deps: InboundHookDeps,
  fetchRef: RefFetcher,
  log: (line: string) => void,
  delivery: { hook: InboundHookRecord; project: ProjectRecord; push: PushFacts },
  reply: FastifyReply,
) {
  const { hook, project, push } = delivery;
  try {
    await fetchRef(deps.repositoryPath(project), hook.cloneUrl, push.ref);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "the fetch failed";
    log(`inbound hook ${hook.id} of ${project.path}: ${reason}`);
    return sendError(reply, 502, `${push.ref} could not be fetched from the hook's clone URL`);
  }
  const outcome = await deps.starter.start(project, {
    ref: push.ref,
    source: "push",
    sha: push.after,
    beforeSha: push.before,
  });
  if ("error" in outcome) return ignored(reply, outcome.error);
  return reply.code(202).send({ pipeline_id: outcome.pipelineId });
}

function ignored(reply: FastifyReply, message: string) {
  return reply.code(202).send({ pipeline_id: null, message });
}
