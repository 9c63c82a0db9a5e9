/**
 * Who a REST request comes from: a personal access token in `PRIVATE-TOKEN` or
 * `Authorization: Bearer` (docs: api/rest/authentication). Revoked, expired and unknown
 * tokens all answer 401 with the same body, so nothing about a token leaks.
 */
import type { FastifyRequest } from "fastify";
import type { Store, UserRecord } from "../store/types.js";
import { tokenDigest } from "../util/tokens.js";

export async function userOf(
  store: Store,
  request: FastifyRequest,
  now: number,
): Promise<UserRecord | undefined> {
  const token = bearerOf(request);
  if (!token) return undefined;
  return userByToken(store, token, now);
}

export async function userByToken(
  store: Store,
  token: string,
  now: number,
): Promise<UserRecord | undefined> {
  const record = await store.tokens.byDigest(tokenDigest(token));
  if (!record || record.revoked) return undefined;
  if (record.expiresAt !== undefined && record.expiresAt <= now) return undefined;
  return store.users.byId(record.userId);
}

function bearerOf(request: FastifyRequest): string | undefined {
  const given = request.headers["private-token"];
  if (typeof given === "string" && given !== "") return given;
  const authorization = request.headers.authorization;
  const match = typeof authorization === "string" ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return match?.[1];
}
