/**
 * Conveyor's resource sets under `/api/v4/projects/:id/resource_sets`: a named set of manifests
 * per project, and its immutable versions. `POST …/resource_sets/:name/versions` takes the
 * source (`kind`, `files`, `values`), has the deploy engine render it, and stores the rendered
 * version under its digest: pushing the same content again answers the stored version (200)
 * instead of a new one (201). The set is created on first push. A CI job pushes with its job
 * token (`conveyor deploy push`); the version remembers the job, pipeline and commit.
 *
 * Roles: Reporter reads, Developer creates and pushes, Maintainer deletes.
 */
import type { RenderKind, ResourceSetSource, SourceFile } from "@conveyor/deploy";
import type { FastifyInstance } from "fastify";
import { pageAhead, paging } from "../http/project-access.js";
import { ACCESS_LEVELS, StoreConflict } from "../store/types.js";
import type { DeployRoutes } from "./context.js";
import { refuse, resourceSetNamed, versionNamed } from "./context.js";
import { EntityLoader, resourceSetEntity, versionEntity } from "./entities.js";

const SET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const KINDS = new Set<RenderKind>(["plain", "kustomize", "helm"]);

type SetParams = { Params: { id: string; name: string } };

/** The source in a push body, or what is wrong with it. */
export function sourceFromBody(
  body: Record<string, unknown>,
): ResourceSetSource | { error: string } {
  const kind = body.kind ?? "plain";
  if (typeof kind !== "string" || !KINDS.has(kind as RenderKind))
    return { error: "kind must be plain, kustomize or helm" };
  if (!Array.isArray(body.files) || body.files.length === 0)
    return { error: "files must list at least one { path, content }" };
  const files: SourceFile[] = [];
  for (const file of body.files as unknown[]) {
    const { path, content } = (file ?? {}) as Record<string, unknown>;
    if (typeof path !== "string" || typeof content !== "string")
      return { error: "every file needs a path and a content (text)" };
    if (path === "" || path.startsWith("/") || path.split("/").includes(".."))
      return { error: `file path ${JSON.stringify(path)} must be relative, without ..` };
    files.push({ path, content });
  }
  const values: Record<string, string> = {};
  const given = body.values ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given))
    return { error: "values must be an object of strings" };
  for (const [key, value] of Object.entries(given)) {
    if (typeof value !== "string") return { error: `value ${key} must be a string` };
    values[key] = value;
  }
  const release = body.release;
  if (release !== undefined && release !== null) {
    const { name, namespace } = release as Record<string, unknown>;
    if (kind !== "helm" || typeof name !== "string" || name === "")
      return { error: "release ({ name, namespace? }) goes with kind helm" };
    if (namespace !== undefined && typeof namespace !== "string")
      return { error: "release.namespace must be a string" };
    return {
      kind: "helm",
      files,
      values,
      release: { name, ...(namespace !== undefined ? { namespace } : {}) },
    };
  }
  return { kind: kind as RenderKind, files, values };
}

export function registerResourceSetsApi(app: FastifyInstance, routes: DeployRoutes): void {
  const { store, clock } = routes.options;
  const loader = () => new EntityLoader(store, routes.options.serverUrl);

  app.get<{ Params: { id: string } }>(
    "/api/v4/projects/:id/resource_sets",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
      if (!caller) return reply;
      const out = [];
      for (const set of await store.resourceSets.ofProject(caller.project.id)) {
        out.push(
          resourceSetEntity(set, (await store.resourceSets.versions(set.id, { limit: 1 }))[0]),
        );
      }
      return out;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/v4/projects/:id/resource_sets",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.developer);
      if (!caller) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const name = typeof body.name === "string" ? body.name : "";
      if (!SET_NAME.test(name)) return reply.code(400).send({ message: { name: ["is invalid"] } });
      try {
        const set = await store.resourceSets.create(
          {
            projectId: caller.project.id,
            name,
            description: typeof body.description === "string" ? body.description : "",
          },
          clock(),
        );
        return reply.code(201).send(resourceSetEntity(set));
      } catch (error) {
        if (error instanceof StoreConflict)
          return reply.code(400).send({ message: { name: ["has already been taken"] } });
        throw error;
      }
    },
  );

  app.get<SetParams>("/api/v4/projects/:id/resource_sets/:name", async (request, reply) => {
    const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
    if (!caller) return reply;
    const set = await resourceSetNamed(store, caller.project, request.params.name);
    if (!set) return refuse(reply, 404, "404 Resource Set Not Found");
    return resourceSetEntity(set, (await store.resourceSets.versions(set.id, { limit: 1 }))[0]);
  });

  app.delete<SetParams>("/api/v4/projects/:id/resource_sets/:name", async (request, reply) => {
    const caller = await routes.access.project(request, reply, ACCESS_LEVELS.maintainer, {
      jobToken: false,
    });
    if (!caller) return reply;
    const set = await resourceSetNamed(store, caller.project, request.params.name);
    if (!set) return refuse(reply, 404, "404 Resource Set Not Found");
    await store.resourceSets.delete(set.id);
    return reply.code(204).send();
  });

  app.post<SetParams>(
    "/api/v4/projects/:id/resource_sets/:name/versions",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.developer);
      if (!caller) return reply;
      const engine = routes.engine(reply);
      if (!engine) return reply;
      const name = decodeURIComponent(request.params.name);
      if (!SET_NAME.test(name)) return reply.code(400).send({ message: { name: ["is invalid"] } });
      const source = sourceFromBody((request.body ?? {}) as Record<string, unknown>);
      if ("error" in source) return refuse(reply, 400, `400 Bad request - ${source.error}`);
      let rendered;
      try {
        rendered = await engine.render(source);
      } catch (error) {
        return refuse(
          reply,
          400,
          `400 Bad request - rendering failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const set = await store.resourceSets.ensure(
        { projectId: caller.project.id, name, description: "" },
        clock(),
      );
      const { version, created } = await store.resourceSets.addVersion(
        {
          resourceSetId: set.id,
          projectId: caller.project.id,
          rendered,
          ...(caller.user ? { userId: caller.user.id } : {}),
          ...(caller.job ? { jobId: caller.job.id } : {}),
          ...(caller.pipeline
            ? { pipelineId: caller.pipeline.id, ref: caller.pipeline.ref, sha: caller.pipeline.sha }
            : {}),
        },
        clock(),
      );
      const user = await loader().user(version.userId);
      return reply
        .code(created ? 201 : 200)
        .send(versionEntity(version, set, routes.options.serverUrl, user, false));
    },
  );

  app.get<SetParams & { Querystring: { per_page?: string; page?: string } }>(
    "/api/v4/projects/:id/resource_sets/:name/versions",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
      if (!caller) return reply;
      const set = await resourceSetNamed(store, caller.project, request.params.name);
      if (!set) return refuse(reply, 404, "404 Resource Set Not Found");
      const window = paging(request.query);
      const rows = await store.resourceSets.versions(set.id, {
        limit: window.limit + 1,
        offset: window.offset,
      });
      const load = loader();
      const out = [];
      for (const version of pageAhead(request, reply, rows, window, routes.options.serverUrl)) {
        out.push(
          versionEntity(
            version,
            set,
            routes.options.serverUrl,
            await load.user(version.userId),
            false,
          ),
        );
      }
      return out;
    },
  );

  app.get<{ Params: { id: string; name: string; version: string } }>(
    "/api/v4/projects/:id/resource_sets/:name/versions/:version",
    async (request, reply) => {
      const caller = await routes.access.project(request, reply, ACCESS_LEVELS.reporter);
      if (!caller) return reply;
      const set = await resourceSetNamed(store, caller.project, request.params.name);
      const version = set && (await versionNamed(store, set, request.params.version));
      if (!set || !version) return refuse(reply, 404, "404 Version Not Found");
      const user = await loader().user(version.userId);
      return versionEntity(version, set, routes.options.serverUrl, user, true);
    },
  );
}
