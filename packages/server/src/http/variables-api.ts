/**
 * CI/CD variables over the REST API (docs: api/project_level_variables,
 * api/instance_level_ci_variables): project variables for maintainers, instance variables for
 * administrators. Values are sealed by the secret box before they reach the store and opened
 * only for an answer to someone allowed to manage them; a masked value must be maskable (docs:
 * ci/variables, "Mask a CI/CD variable"), so a trace can always hide it.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { SecretBox } from "../secrets/secret-box.js";
import {
  ACCESS_LEVELS,
  type NewVariable,
  type Store,
  StoreConflict,
  type VariableRecord,
} from "../store/types.js";
import { pageOf, projectAccess, sendError } from "./project-access.js";

export interface VariablesApiOptions {
  store: Store;
  secrets: SecretBox;
  clock: () => number;
}

/** `key`: letters, digits and `_`, at most 255 characters (docs: api/project_level_variables). */
const KEY_PATTERN = /^[A-Za-z0-9_]{1,255}$/;
/** A maskable value: one line, at least 8 characters of the Base64 alphabet plus `@:.~-`. */
const MASKABLE = /^[A-Za-z0-9+/=@:.~_-]{8,}$/;

type Body = Record<string, unknown>;

export function variableEntity(variable: VariableRecord, value: string) {
  return {
    variable_type: variable.variableType,
    key: variable.key,
    value,
    protected: variable.protected,
    masked: variable.masked,
    hidden: false,
    raw: variable.raw,
    environment_scope: variable.environmentScope,
    description: variable.description ?? null,
  };
}

/** Why a request's variable fields are invalid (GitLab's `{message: {field: [...]}}`), or the fields. */
export function variableFields(
  body: Body,
  existing?: VariableRecord,
):
  | { error: Record<string, string[]> }
  | { fields: Omit<NewVariable, "projectId" | "valueCiphertext">; value: string } {
  const key = typeof body.key === "string" ? body.key : existing?.key;
  if (key === undefined || !KEY_PATTERN.test(key)) {
    return { error: { key: ["can contain only letters, digits and '_'."] } };
  }
  const value = body.value === undefined ? undefined : String(body.value);
  if (value === undefined && !existing) return { error: { value: ["is missing"] } };
  const variableType = body.variable_type ?? existing?.variableType ?? "env_var";
  if (variableType !== "env_var" && variableType !== "file") {
    return { error: { variable_type: ["is not included in the list"] } };
  }
  const flag = (name: string, current: boolean | undefined) =>
    body[name] === undefined ? (current ?? false) : body[name] === true || body[name] === "true";
  const masked = flag("masked", existing?.masked);
  return {
    fields: {
      key,
      variableType,
      masked,
      protected: flag("protected", existing?.protected),
      raw: flag("raw", existing?.raw),
      environmentScope:
        typeof body.environment_scope === "string"
          ? body.environment_scope
          : (existing?.environmentScope ?? "*"),
      ...(typeof body.description === "string"
        ? { description: body.description }
        : existing?.description !== undefined
          ? { description: existing.description }
          : {}),
    },
    value: value ?? "",
  };
}

export function registerVariablesApi(app: FastifyInstance, options: VariablesApiOptions): void {
  const { store, secrets } = options;
  const access = projectAccess(store, options.clock);

  /** Where a route's variables live: a project id, or undefined for the instance. */
  type Scope = { projectId: number | undefined };
  const scopes: {
    prefix: string;
    scopeOf: (request: never, reply: FastifyReply) => Promise<Scope | undefined>;
  }[] = [
    {
      prefix: "/api/v4/projects/:id/variables",
      scopeOf: async (request: never, reply) => {
        const found = await access.project(request, reply, ACCESS_LEVELS.maintainer);
        return found && { projectId: found.project.id };
      },
    },
    {
      prefix: "/api/v4/admin/ci/variables",
      scopeOf: async (request: never, reply) =>
        (await access.admin(request, reply)) ? { projectId: undefined } : undefined,
    },
  ];

  for (const { prefix, scopeOf } of scopes) {
    type KeyRequest = {
      Params: { id: string; key: string };
      Querystring: { "filter[environment_scope]"?: string };
    };
    const findOne = async (
      scope: Scope,
      params: KeyRequest["Params"],
      query: KeyRequest["Querystring"],
    ) =>
      store.variables.get(scope.projectId, params.key, query["filter[environment_scope]"] ?? "*");

    app.get<{ Params: { id: string } }>(prefix, async (request, reply) => {
      const scope = await scopeOf(request as never, reply);
      if (!scope) return reply;
      const variables = await store.variables.list(scope.projectId);
      return pageOf(request, reply, variables, "").map((v) =>
        variableEntity(v, secrets.open(v.valueCiphertext)),
      );
    });

    app.get<KeyRequest>(`${prefix}/:key`, async (request, reply) => {
      const scope = await scopeOf(request as never, reply);
      if (!scope) return reply;
      const variable = await findOne(scope, request.params, request.query);
      if (!variable) return sendError(reply, 404, "404 Variable Not Found");
      return variableEntity(variable, secrets.open(variable.valueCiphertext));
    });

    app.post<{ Params: { id: string } }>(prefix, async (request, reply) => {
      const scope = await scopeOf(request as never, reply);
      if (!scope) return reply;
      const parsed = variableFields((request.body ?? {}) as Body);
      if ("error" in parsed) return reply.code(400).send({ message: parsed.error });
      const { fields, value } = parsed;
      if (fields.masked && !MASKABLE.test(value)) {
        return reply.code(400).send({ message: { value: ["is invalid"] } });
      }
      if (await store.variables.get(scope.projectId, fields.key, fields.environmentScope)) {
        return reply
          .code(400)
          .send({ message: { key: [`(${fields.key}) has already been taken`] } });
      }
      const stored = await put(scope, fields, value, reply);
      return stored && reply.code(201).send(variableEntity(stored, value));
    });

    app.put<KeyRequest>(`${prefix}/:key`, async (request, reply) => {
      const scope = await scopeOf(request as never, reply);
      if (!scope) return reply;
      const existing = await findOne(scope, request.params, request.query);
      if (!existing) return sendError(reply, 404, "404 Variable Not Found");
      const parsed = variableFields(
        { ...((request.body ?? {}) as Body), key: existing.key },
        existing,
      );
      if ("error" in parsed) return reply.code(400).send({ message: parsed.error });
      const value =
        (request.body as Body | undefined)?.value === undefined
          ? secrets.open(existing.valueCiphertext)
          : parsed.value;
      if (parsed.fields.masked && !MASKABLE.test(value)) {
        return reply.code(400).send({ message: { value: ["is invalid"] } });
      }
      if (parsed.fields.environmentScope !== existing.environmentScope)
        await store.variables.delete(existing.id);
      const stored = await put(scope, parsed.fields, value, reply);
      return stored && variableEntity(stored, value);
    });

    app.delete<KeyRequest>(`${prefix}/:key`, async (request, reply) => {
      const scope = await scopeOf(request as never, reply);
      if (!scope) return reply;
      const existing = await findOne(scope, request.params, request.query);
      if (!existing) return sendError(reply, 404, "404 Variable Not Found");
      await store.variables.delete(existing.id);
      return reply.code(204).send();
    });
  }

  async function put(
    scope: Scope,
    fields: Omit<NewVariable, "projectId" | "valueCiphertext">,
    value: string,
    reply: FastifyReply,
  ): Promise<VariableRecord | undefined> {
    try {
      return await store.variables.put({
        ...fields,
        ...(scope.projectId !== undefined ? { projectId: scope.projectId } : {}),
        valueCiphertext: secrets.seal(value),
      });
    } catch (error) {
      if (error instanceof StoreConflict) {
        reply.code(400).send({ message: { key: [`(${fields.key}) has already been taken`] } });
        return undefined;
      }
      throw error;
    }
  }
}
