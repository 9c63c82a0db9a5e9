/**
 * Pipeline trigger tokens (docs: api/pipeline_triggers.md, ci/triggers/index.md): maintainers
 * list, create and delete a project's tokens, and anyone holding a token starts a pipeline with
 * `POST /projects/:id/trigger/pipeline` (source `trigger`), running as the token's owner.
 *
 * Answers, as GitLab's `lib/api/ci/triggers.rb` gives them: a missing `token` or `ref` → 400
 * `{"error": "… is missing"}`; variables that are not a map of strings → 400; an unknown token, a
 * token of another project, or a project the owner can no longer see → 404 `404 Not Found` (one
 * answer for all, so neither projects nor tokens can be probed); a pipeline that cannot be
 * created (no such ref, owner below Developer) → 400 `{"message": "…"}`; success → 201 and the
 * pipeline. Bodies may be JSON, form-encoded (parsed by `@fastify/formbody` in this plugin's
 * scope) or multipart.
 */
import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { pipelineEntity } from "../http/entities.js";
import { accessLevelOf, projectAccess, sendError } from "../http/project-access.js";
import type { PipelineStarter } from "../pipelines/starter.js";
import { ACCESS_LEVELS, type ProjectRecord, type Store, type UserRecord } from "../store/types.js";
import { newToken, tokenDigest } from "../util/tokens.js";
import { tokenHint, triggerEntity } from "./entities.js";
import { hashField, requestFields, stringField } from "./request-fields.js";

export interface TriggerApiDeps {
  store: Store;
  starter: PipelineStarter;
  clock: () => number;
  /** Read at every request, so it may be a getter (the port is known only after listen). */
  readonly serverUrl: string;
}

type ProjectParams = { Params: { id: string } };
type TriggerParams = { Params: { id: string; trigger_id: string } };

/** Registers the routes in an encapsulated plugin (its own form-encoded body parser). */
export function registerTriggerApi(app: FastifyInstance, deps: TriggerApiDeps): void {
  void app.register(async (scope) => {
    if (!scope.hasContentTypeParser("application/x-www-form-urlencoded"))
      await scope.register(formbody);
    tokenRoutes(scope, deps);
    pipelineRoutes(scope, deps);
  });
}

function tokenRoutes(app: FastifyInstance, deps: TriggerApiDeps): void {
  const { store } = deps;
  const access = projectAccess(store, deps.clock);
  const owners = ownerLookup(store);

  app.get<ProjectParams>("/api/v4/projects/:id/triggers", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    const triggers = await store.triggers.ofProject(found.project.id);
    const owner = owners();
    return Promise.all(
      triggers.map(async (t) => triggerEntity(t, await owner(t.ownerId), deps.serverUrl)),
    );
  });

  app.get<TriggerParams>("/api/v4/projects/:id/triggers/:trigger_id", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    const trigger = await triggerOf(store, found.project, request.params.trigger_id);
    if (!trigger) return sendError(reply, 404, "404 Trigger Not Found");
    return triggerEntity(trigger, await owners()(trigger.ownerId), deps.serverUrl);
  });

  app.post<ProjectParams>("/api/v4/projects/:id/triggers", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    const description = stringField(await requestFields(request), "description");
    if (description === undefined) return reply.code(400).send({ error: "description is missing" });
    const token = newToken("trigger");
    const trigger = await store.triggers.create(
      {
        projectId: found.project.id,
        ownerId: found.user.id,
        description,
        digest: tokenDigest(token),
        hint: tokenHint(token),
      },
      deps.clock(),
    );
    return reply.code(201).send(triggerEntity(trigger, found.user, deps.serverUrl, token));
  });

  app.delete<TriggerParams>("/api/v4/projects/:id/triggers/:trigger_id", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
    if (!found) return reply;
    const trigger = await triggerOf(store, found.project, request.params.trigger_id);
    if (!trigger) return sendError(reply, 404, "404 Trigger Not Found");
    await store.triggers.delete(trigger.id);
    return reply.code(204).send();
  });
}

function pipelineRoutes(app: FastifyInstance, deps: TriggerApiDeps): void {
  const handler = async (
    request: FastifyRequest<{ Params: { id: string; ref?: string } }>,
    reply: FastifyReply,
  ) => {
    const fields = await requestFields(request);
    const token = stringField(fields, "token");
    const ref = request.params.ref ?? stringField(fields, "ref");
    const missing = [token ? undefined : "token", ref ? undefined : "ref"].filter(
      (f) => f !== undefined,
    );
    if (missing.length > 0) {
      return reply.code(400).send({ error: missing.map((f) => `${f} is missing`).join(", ") });
    }
    const variables = hashField(fields, "variables");
    if (!variables.ok) {
      return reply.code(400).send({ message: "variables needs to be a map of key-valued strings" });
    }
    const authorized = await authorizeTrigger(deps.store, request.params.id, token as string);
    if (!authorized) return sendError(reply, 404, "404 Not Found");
    const { project, trigger, owner, level } = authorized;
    if (level < ACCESS_LEVELS.developer) {
      return sendError(reply, 400, "Insufficient permissions to create a new pipeline");
    }
    const outcome = await deps.starter.start(project, {
      ref: ref as string,
      source: "trigger",
      variables: variables.value,
      user: owner,
    });
    if ("error" in outcome) return sendError(reply, 400, outcome.error);
    await deps.store.triggers.used(trigger.id, deps.clock());
    const pipeline = await deps.store.pipelines.byId(outcome.pipelineId);
    return reply
      .code(201)
      .send(
        pipeline ? pipelineEntity(pipeline, project, deps.serverUrl) : { id: outcome.pipelineId },
      );
  };
  app.post("/api/v4/projects/:id/trigger/pipeline", handler);
  // The ref in the path is the form GitLab's webhook URLs use (docs: ci/triggers "Use a webhook").
  app.post("/api/v4/projects/:id/ref/:ref/trigger/pipeline", handler);
}

/**
 * The project, token and owner when the token belongs to the project and its owner can still
 * see the project (a token impersonates its owner, docs: ci/triggers "Create a pipeline trigger
 * token"). The caller refuses an owner below Developer, as GitLab's pipeline creation does.
 */
async function authorizeTrigger(store: Store, projectId: string, token: string) {
  const project = await projectByParam(store, projectId);
  const trigger = await store.triggers.byDigest(tokenDigest(token));
  if (!project || !trigger || trigger.projectId !== project.id) return undefined;
  const owner = await store.users.byId(trigger.ownerId);
  if (!owner) return undefined;
  const level = await accessLevelOf(store, project, owner);
  if (level < ACCESS_LEVELS.reporter && project.visibility === "private") return undefined;
  return { project, trigger, owner, level };
}

async function projectByParam(store: Store, id: string): Promise<ProjectRecord | undefined> {
  return /^\d+$/.test(id)
    ? store.projects.byId(Number(id))
    : store.projects.byPath(decodeURIComponent(id));
}

async function triggerOf(store: Store, project: ProjectRecord, id: string) {
  if (!/^\d+$/.test(id)) return undefined;
  return (await store.triggers.ofProject(project.id)).find((t) => t.id === Number(id));
}

/** Users by id, each looked up once per request. */
function ownerLookup(store: Store) {
  return () => {
    const seen = new Map<number, Promise<UserRecord | undefined>>();
    return (id: number) => {
      let user = seen.get(id);
      if (!user) {
        user = store.users.byId(id);
        seen.set(id, user);
      }
      return user;
    };
  };
}
