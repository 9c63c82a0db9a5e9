/**
 * The parameters of a GitLab API call, wherever the client put them. GitLab (Grape) merges the
 * query string with the body, and its documented calls send bodies three ways: JSON,
 * `application/x-www-form-urlencoded` and `multipart/form-data` (`curl --form token=… --form
 * ref=…`, docs: ci/triggers/index.md "Use cURL"). Hash parameters arrive as an object in JSON
 * and as `name[KEY]=value` pairs in forms and query strings.
 */
import type { FastifyRequest } from "fastify";

type Fields = Record<string, unknown>;

interface MultipartPart {
  type: "field" | "file";
  value?: unknown;
  file?: NodeJS.ReadableStream;
}

interface MultipartRequest {
  isMultipart?: () => boolean;
  parts?: () => AsyncIterableIterator<MultipartPart>;
}

/**
 * The request's parameters: query string, then body fields over it. Multipart bodies are read
 * through `@fastify/multipart` when the app registered it (file parts are drained unread).
 */
export async function requestFields(request: FastifyRequest): Promise<Fields> {
  const query = isRecord(request.query) ? request.query : {};
  return { ...query, ...(await bodyFields(request)) };
}

async function bodyFields(request: FastifyRequest): Promise<Fields> {
  const multipart = request as unknown as MultipartRequest;
  if (multipart.isMultipart?.() && multipart.parts) {
    const fields: Fields = {};
    for await (const part of multipart.parts()) {
      if (part.type === "field") fields[fieldName(part)] = part.value;
      else part.file?.resume();
    }
    return fields;
  }
  return isRecord(request.body) && !Buffer.isBuffer(request.body) ? request.body : {};
}

function fieldName(part: MultipartPart): string {
  return (part as unknown as { fieldname: string }).fieldname;
}

/** A string parameter; undefined when absent or not a string. */
export function stringField(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * A hash parameter (`variables`): `{"variables": {"K": "v"}}` or `variables[K]=v` pairs. Every
 * key and value must be a string, as GitLab requires of trigger variables ("variables needs to
 * be a map of key-valued strings", lib/api/ci/triggers.rb).
 */
export function hashField(
  fields: Fields,
  name: string,
): { ok: true; value: Record<string, string> } | { ok: false } {
  const value: Record<string, string> = {};
  const nested = fields[name];
  if (nested !== undefined) {
    if (!isRecord(nested)) return { ok: false };
    for (const [key, item] of Object.entries(nested)) {
      if (typeof item !== "string") return { ok: false };
      value[key] = item;
    }
  }
  const prefix = `${name}[`;
  for (const [field, item] of Object.entries(fields)) {
    if (!field.startsWith(prefix) || !field.endsWith("]")) continue;
    const key = field.slice(prefix.length, -1);
    if (key === "" || typeof item !== "string") return { ok: false };
    value[key] = item;
  }
  return { ok: true, value };
}

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
