/**
 * Users, their personal access tokens and project membership over the REST API (docs:
 * api/users, api/user_tokens, api/members). Administrators create users and tokens; a project's
 * maintainers manage its members, and only an owner may grant owner.
 */
import type { FastifyInstance } from "fastify";
import { ACCESS_LEVELS, type Store, StoreConflict, type UserRecord } from "../store/types.js";
import { newToken, tokenDigest } from "../util/tokens.js";
import { projectEntity, userEntity } from "./entities.js";
import { accessLevelOf, pageOf, projectAccess, sendError } from "./project-access.js";

export interface UsersApiOptions {
  store: Store;
  serverUrl: string;
  clock: () => number;
}

type Body = Record<string, unknown>;

const LEVELS = new Set<number>(Object.values(ACCESS_LEVELS));
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

function memberEntity(user: UserRecord, accessLevel: number, serverUrl: string) {
  return { ...userEntity(user, serverUrl), access_level: accessLevel };
}

export function registerUsersApi(app: FastifyInstance, options: UsersApiOptions): void {
  const { store, clock } = options;
  const access = projectAccess(store, clock);

  app.get("/api/v4/user", async (request, reply) => {
    const user = await access.user(request, reply);
    if (!user) return reply;
    return { ...userEntity(user, options.serverUrl), email: user.email, is_admin: user.admin };
  });

  app.get<{ Querystring: { username?: string } }>("/api/v4/users", async (request, reply) => {
    const user = await access.user(request, reply);
    if (!user) return reply;
    const users = await store.users.list();
    return users
      .filter((u) => request.query.username === undefined || u.username === request.query.username)
      .map((u) => userEntity(u, options.serverUrl));
  });

  app.post("/api/v4/users", async (request, reply) => {
    if (!(await access.admin(request, reply))) return reply;
    const body = (request.body ?? {}) as Body;
    const username = typeof body.username === "string" ? body.username : "";
    if (!USERNAME.test(username))
      return reply.code(400).send({ message: { username: ["is invalid"] } });
    try {
      const user = await store.users.create(
        {
          username,
          name: typeof body.name === "string" ? body.name : username,
          email: typeof body.email === "string" ? body.email : `${username}@localhost`,
          admin: body.admin === true || body.admin === "true",
        },
        clock(),
      );
      return reply
        .code(201)
        .send({ ...userEntity(user, options.serverUrl), email: user.email, is_admin: user.admin });
    } catch (error) {
      if (error instanceof StoreConflict)
        return reply.code(409).send({ message: "Username has already been taken" });
      throw error;
    }
  });

  app.post<{ Params: { user_id: string } }>(
    "/api/v4/users/:user_id/personal_access_tokens",
    async (request, reply) => {
      if (!(await access.admin(request, reply))) return reply;
      const owner = await store.users.byId(Number(request.params.user_id));
      if (!owner) return sendError(reply, 404, "404 User Not Found");
      const body = (request.body ?? {}) as Body;
      const name = typeof body.name === "string" && body.name !== "" ? body.name : undefined;
      if (!name) return reply.code(400).send({ error: "name is missing" });
      const scopes = Array.isArray(body.scopes) ? body.scopes.map(String) : ["api"];
      const expiresAt =
        typeof body.expires_at === "string" ? Date.parse(`${body.expires_at}T00:00:00Z`) : NaN;
      const token = newToken("personal");
      const record = await store.tokens.create(
        {
          userId: owner.id,
          name,
          digest: tokenDigest(token),
          scopes,
          ...(Number.isFinite(expiresAt) ? { expiresAt } : {}),
        },
        clock(),
      );
      return reply.code(201).send({
        id: record.id,
        name: record.name,
        revoked: false,
        created_at: new Date(record.createdAt).toISOString(),
        scopes: record.scopes,
        user_id: owner.id,
        active: true,
        expires_at:
          record.expiresAt === undefined
            ? null
            : new Date(record.expiresAt).toISOString().slice(0, 10),
        token,
      });
    },
  );

  app.get<{ Querystring: { per_page?: string; page?: string } }>(
    "/api/v4/projects",
    async (request, reply) => {
      const user = await access.user(request, reply);
      if (!user) return reply;
      const visible = [];
      for (const project of await store.projects.list()) {
        const level = await accessLevelOf(store, project, user);
        if (level >= ACCESS_LEVELS.reporter || project.visibility !== "private")
          visible.push(project);
      }
      return pageOf(request, reply, visible, options.serverUrl).map((p) =>
        projectEntity(p, options.serverUrl),
      );
    },
  );

  app.get<{ Params: { id: string } }>("/api/v4/projects/:id/members", async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.reporter);
    if (!found) return reply;
    const out = [];
    for (const member of await store.projects.members(found.project.id)) {
      const user = await store.users.byId(member.userId);
      if (user) out.push(memberEntity(user, member.accessLevel, options.serverUrl));
    }
    return pageOf(request, reply, out, options.serverUrl);
  });

  for (const method of ["POST", "PUT"] as const) {
    app.route<{ Params: { id: string; user_id?: string } }>({
      method,
      url:
        method === "POST"
          ? "/api/v4/projects/:id/members"
          : "/api/v4/projects/:id/members/:user_id",
      handler: async (request, reply) => {
        const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
        if (!found) return reply;
        const body = (request.body ?? {}) as Body;
        const userId = Number(request.params.user_id ?? body.user_id);
        const accessLevel = Number(body.access_level);
        if (!LEVELS.has(accessLevel))
          return reply
            .code(400)
            .send({ message: { access_level: ["is not included in the list"] } });
        if (accessLevel === ACCESS_LEVELS.owner && found.level < ACCESS_LEVELS.owner) {
          return sendError(reply, 403, "403 Forbidden");
        }
        const user = Number.isInteger(userId) ? await store.users.byId(userId) : undefined;
        if (!user) return sendError(reply, 404, "404 User Not Found");
        const existing = await store.projects.member(found.project.id, user.id);
        if (method === "POST" && existing)
          return reply.code(409).send({ message: "Member already exists" });
        if (method === "PUT" && !existing) return sendError(reply, 404, "404 Member Not Found");
        await store.projects.setMember({
          projectId: found.project.id,
          userId: user.id,
          accessLevel,
        });
        return reply
          .code(method === "POST" ? 201 : 200)
          .send(memberEntity(user, accessLevel, options.serverUrl));
      },
    });
  }

  app.delete<{ Params: { id: string; user_id: string } }>(
    "/api/v4/projects/:id/members/:user_id",
    async (request, reply) => {
      const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
      if (!found) return reply;
      const userId = Number(request.params.user_id);
      const existing = await store.projects.member(found.project.id, userId);
      if (!existing) return sendError(reply, 404, "404 Member Not Found");
      if (existing.accessLevel === ACCESS_LEVELS.owner && found.level < ACCESS_LEVELS.owner) {
        return sendError(reply, 403, "403 Forbidden");
      }
      await store.projects.removeMember(found.project.id, userId);
      return reply.code(204).send();
    },
  );
}
