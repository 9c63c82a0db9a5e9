/**
 * Who may do what to a project over the REST API, as GitLab answers it (docs:
 * api/rest/troubleshooting#status-codes, user/permissions): no or a bad token → 401, a project
 * the caller cannot see → 404 (its existence does not leak), an action above the caller's role
 * → 403. Administrators act as owners everywhere; a public or internal project can be read by
 * any signed-in user.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ProjectRecord, Store, UserRecord } from "../store/types.js";
import { accessLevelOf, readsCode } from "../store/access-level.js";
import { userOf } from "./auth.js";

export { accessLevelOf };

export interface ProjectAccess {
  /** The signed-in user, or undefined after answering 401. */
  user(request: FastifyRequest, reply: FastifyReply): Promise<UserRecord | undefined>;
  /** The user when an administrator, or undefined after answering 401/403. */
  admin(request: FastifyRequest, reply: FastifyReply): Promise<UserRecord | undefined>;
  /**
   * The project named by `:id` (a number or a URL-encoded path) and the caller, when the caller
   * has at least `level` on it (0: may see it); otherwise undefined after answering.
   */
  project(
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    level: number,
  ): Promise<{ project: ProjectRecord; user: UserRecord; level: number } | undefined>;
}

export function sendError(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).send({ message });
}

export function projectAccess(store: Store, clock: () => number): ProjectAccess {
  const user = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await userOf(store, request, clock());
    if (!found) sendError(reply, 401, "401 Unauthorized");
    return found;
  };
  return {
    user,
    async admin(request, reply) {
      const found = await user(request, reply);
      if (!found) return undefined;
      if (!found.admin) {
        sendError(reply, 403, "403 Forbidden");
        return undefined;
      }
      return found;
    },
    async project(request, reply, level) {
      const caller = await user(request, reply);
      if (!caller) return undefined;
      const id = request.params.id;
      const project = /^\d+$/.test(id)
        ? await store.projects.byId(Number(id))
        : await store.projects.byPath(decodeURIComponent(id));
      const granted = project ? await accessLevelOf(store, project, caller) : 0;
      const visible = project !== undefined && readsCode(project, granted, true);
      if (!project || !visible) {
        sendError(reply, 404, "404 Project Not Found");
        return undefined;
      }
      if (granted < level) {
        sendError(reply, 403, "403 Forbidden");
        return undefined;
      }
      return { project, user: caller, level: granted };
    },
  };
}

/** GitLab's `page`/`per_page` (default 20, at most 100). */
export function paging(query: { per_page?: string; page?: string }): {
  limit: number;
  offset: number;
} {
  const limit = Math.min(100, Math.max(1, Number(query.per_page ?? 20) || 20));
  const page = Math.max(1, Number(query.page ?? 1) || 1);
  return { limit, offset: (page - 1) * limit };
}

/**
 * One page of `items` (all of them, in order) with GitLab's pagination headers (docs:
 * api/rest/#pagination): `X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`, `X-Next-Page`,
 * `X-Prev-Page` and a `Link` header with `next`/`prev`/`first`/`last`, which clients such as
 * python-gitlab and gitbeaker follow.
 */
export function pageOf<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  items: readonly T[],
  serverUrl: string,
): T[] {
  const { limit, offset } = paging((request.query ?? {}) as { per_page?: string; page?: string });
  setPageHeaders(request, reply, serverUrl, {
    limit,
    offset,
    total: items.length,
    more: offset + limit < items.length,
  });
  return items.slice(offset, offset + limit);
}

/**
 * The page a store query gave when asked for `limit + 1` rows from `offset` (so the caller
 * knows whether another page follows without counting): headers as pageOf, without the totals
 * (GitLab leaves them out for large collections too).
 */
export function pageAhead<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  rows: readonly T[],
  window: { limit: number; offset: number },
  serverUrl: string,
): T[] {
  setPageHeaders(request, reply, serverUrl, { ...window, more: rows.length > window.limit });
  return rows.slice(0, window.limit);
}

function setPageHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  serverUrl: string,
  window: { limit: number; offset: number; more: boolean; total?: number },
): void {
  const { limit, offset, more, total } = window;
  const page = offset / limit + 1;
  const url = new URL(request.url, serverUrl || "http://localhost");
  const link = (rel: string, target: number) => {
    url.searchParams.set("page", String(target));
    url.searchParams.set("per_page", String(limit));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [link("first", 1)];
  if (more) links.unshift(link("next", page + 1));
  if (page > 1) links.unshift(link("prev", page - 1));
  if (total !== undefined) {
    const totalPages = Math.max(1, Math.ceil(total / limit));
    links.push(link("last", totalPages));
    reply.header("X-Total", String(total)).header("X-Total-Pages", String(totalPages));
  }
  reply
    .header("X-Page", String(page))
    .header("X-Per-Page", String(limit))
    .header("X-Next-Page", more ? String(page + 1) : "")
    .header("X-Prev-Page", page > 1 ? String(page - 1) : "")
    .header("Link", links.join(", "));
}
