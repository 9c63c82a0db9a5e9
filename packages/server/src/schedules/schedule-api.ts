/**
 * Pipeline schedules over REST (docs: api/pipeline_schedules.md, ci/pipelines/schedules.md):
 *
 * - list and read: Reporter; variables are shown on a single schedule to its owner and to
 *   Maintainers;
 * - create and play: Developer (the creator owns the schedule);
 * - edit and its variables: the schedule's owner only ("The owner of a pipeline schedule can
 *   edit it"; anyone else takes ownership first);
 * - take ownership: Maintainer (or the owner);
 * - delete: the owner or a Maintainer.
 *
 * Status codes as GitLab's: create/play/take_ownership/variable create 201, delete 204,
 * variable delete 202 with the variable, a missing required field 400 `{"error": "x is
 * missing"}`, an invalid field 400 `{"message": {"cron": ["is invalid syntax"]}}`.
 * `play` starts the pipeline now and answers 201 `{"message": "201 Created"}` (GitLab queues
 * it); if nothing could start it answers 400 with the reason.
 */
import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { projectAccess, sendError } from "../http/project-access.js";
import type { PipelineStarter } from "../pipelines/starter.js";
import {
  ACCESS_LEVELS,
  type ProjectRecord,
  type ScheduleRecord,
  type Store,
  type UserRecord,
} from "../store/types.js";
import { requestFields, stringField } from "../triggers/request-fields.js";
import { isValidCron, isValidTimezone, nextRunAfter } from "./cron.js";
import { scheduleEntity, scheduleVariableEntity } from "./entities.js";
import { runSchedule } from "./run-schedule.js";

export interface ScheduleApiDeps {
  store: Store;
  starter: PipelineStarter;
  clock: () => number;
  /** Read at every request, so it may be a getter. */
  readonly serverUrl: string;
}

const BASE = "/api/v4/projects/:id/pipeline_schedules";
type ProjectParams = { Params: { id: string } };
type ScheduleParams = { Params: { id: string; schedule_id: string } };
type VariableParams = { Params: { id: string; schedule_id: string; key: string } };
type Found = { project: ProjectRecord; user: UserRecord; level: number; schedule: ScheduleRecord };
type Fields = Record<string, unknown>;

/** Registers the routes in an encapsulated plugin (its own form-encoded body parser). */
export function registerScheduleApi(app: FastifyInstance, deps: ScheduleApiDeps): void {
  void app.register(async (scope) => {
    if (!scope.hasContentTypeParser("application/x-www-form-urlencoded"))
      await scope.register(formbody);
    scheduleRoutes(scope, deps);
    variableRoutes(scope, deps);
  });
}

function scheduleRoutes(app: FastifyInstance, deps: ScheduleApiDeps): void {
  const { store } = deps;
  const access = projectAccess(store, deps.clock);
  const scheduleOf = scheduleFinder(deps);
  const view = viewer(deps);

  app.get<ProjectParams & { Querystring: { scope?: string } }>(BASE, async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.reporter);
    if (!found) return reply;
    const scope = request.query.scope;
    const schedules = (await store.schedules.ofProject(found.project.id)).filter(
      (s) =>
        scope === undefined ||
        (scope === "active" ? s.active : scope === "inactive" ? !s.active : true),
    );
    return Promise.all(schedules.map((schedule) => view({ ...found, schedule }, false)));
  });

  app.get<ScheduleParams>(`${BASE}/:schedule_id`, async (request, reply) => {
    const found = await scheduleOf(request, reply, ACCESS_LEVELS.reporter);
    if (!found) return reply;
    return view(found, isOwner(found) || found.level >= ACCESS_LEVELS.maintainer);
  });

  app.post<ProjectParams>(BASE, async (request, reply) => {
    const found = await access.project(request, reply, ACCESS_LEVELS.developer);
    if (!found) return reply;
    const fields = await requestFields(request);
    const missing = ["description", "ref", "cron"].filter(
      (name) => stringField(fields, name) === undefined,
    );
    if (missing.length > 0) {
      return reply
        .code(400)
        .send({ error: missing.map((name) => `${name} is missing`).join(", ") });
    }
    const settings = scheduleSettings(fields, {
      cron: stringField(fields, "cron")!,
      cronTimezone: stringField(fields, "cron_timezone") ?? "UTC",
      active: true,
    });
    if ("invalid" in settings) return reply.code(400).send({ message: settings.invalid });
    const now = deps.clock();
    const schedule = await store.schedules.create(
      {
        projectId: found.project.id,
        ownerId: found.user.id,
        description: stringField(fields, "description")!,
        ref: stringField(fields, "ref")!,
        cron: settings.cron,
        cronTimezone: settings.cronTimezone,
        active: settings.active,
        variables: [],
        ...(settings.active
          ? { nextRunAt: nextRunAfter(settings.cron, settings.cronTimezone, now) }
          : {}),
      },
      now,
    );
    return reply.code(201).send(await view({ ...found, schedule }, true));
  });

  app.put<ScheduleParams>(`${BASE}/:schedule_id`, async (request, reply) => {
    const found = await ownedSchedule(scheduleOf, request, reply);
    if (!found) return reply;
    const fields = await requestFields(request);
    const { schedule } = found;
    const settings = scheduleSettings(fields, schedule);
    if ("invalid" in settings) return reply.code(400).send({ message: settings.invalid });
    const now = deps.clock();
    const description = stringField(fields, "description");
    const ref = stringField(fields, "ref");
    const updated = await store.schedules.update(
      schedule.id,
      {
        ...(description !== undefined ? { description } : {}),
        ...(ref !== undefined ? { ref } : {}),
        cron: settings.cron,
        cronTimezone: settings.cronTimezone,
        active: settings.active,
        // Rescheduled from now on every edit (docs: "it is rescheduled automatically").
        ...(settings.active
          ? { nextRunAt: nextRunAfter(settings.cron, settings.cronTimezone, now) }
          : {}),
      },
      now,
    );
    return updated ? view({ ...found, schedule: updated }, true) : sendError(reply, 404, NOT_FOUND);
  });

  app.post<ScheduleParams>(`${BASE}/:schedule_id/take_ownership`, async (request, reply) => {
    const found = await scheduleOf(request, reply, ACCESS_LEVELS.developer);
    if (!found) return reply;
    if (!isOwner(found) && found.level < ACCESS_LEVELS.maintainer)
      return sendError(reply, 403, "403 Forbidden");
    const updated = await store.schedules.update(
      found.schedule.id,
      { ownerId: found.user.id },
      deps.clock(),
    );
    if (!updated) return sendError(reply, 404, NOT_FOUND);
    return reply.code(201).send(await view({ ...found, schedule: updated }, true));
  });

  app.delete<ScheduleParams>(`${BASE}/:schedule_id`, async (request, reply) => {
    const found = await scheduleOf(request, reply, ACCESS_LEVELS.developer);
    if (!found) return reply;
    if (!isOwner(found) && found.level < ACCESS_LEVELS.maintainer)
      return sendError(reply, 403, "403 Forbidden");
    await store.schedules.delete(found.schedule.id);
    return reply.code(204).send();
  });

  app.post<ScheduleParams>(`${BASE}/:schedule_id/play`, async (request, reply) => {
    const found = await scheduleOf(request, reply, ACCESS_LEVELS.developer);
    if (!found) return reply;
    const outcome = await runSchedule(deps, found.schedule);
    if ("error" in outcome) return sendError(reply, 400, outcome.error);
    // A run now does not move the schedule's next run.
    await store.schedules.update(
      found.schedule.id,
      { lastPipelineId: outcome.pipelineId },
      deps.clock(),
    );
    return reply.code(201).send({ message: "201 Created" });
  });
}

function variableRoutes(app: FastifyInstance, deps: ScheduleApiDeps): void {
  const { store } = deps;
  const scheduleOf = scheduleFinder(deps);

  app.post<ScheduleParams>(`${BASE}/:schedule_id/variables`, async (request, reply) => {
    const found = await ownedSchedule(scheduleOf, request, reply);
    if (!found) return reply;
    const fields = await requestFields(request);
    const key = stringField(fields, "key");
    const value = stringField(fields, "value");
    const missing = [
      key === undefined ? "key" : undefined,
      value === undefined ? "value" : undefined,
    ].filter(Boolean);
    if (missing.length > 0)
      return reply.code(400).send({ error: missing.map((n) => `${n} is missing`).join(", ") });
    const variableType = variableTypeOf(fields, "env_var");
    const problems: Fields = {};
    if (!isVariableKey(key!)) problems.key = ["can contain only letters, digits and '_'."];
    else if (found.schedule.variables.some((v) => v.key === key))
      problems.key = ["has already been taken"];
    if (!variableType) problems.variable_type = ["does not have a valid value"];
    if (Object.keys(problems).length > 0) return reply.code(400).send({ message: problems });
    const variable = { key: key!, value: value!, variableType: variableType! };
    await store.schedules.update(
      found.schedule.id,
      { variables: [...found.schedule.variables, variable] },
      deps.clock(),
    );
    return reply.code(201).send(scheduleVariableEntity(variable));
  });

  app.put<VariableParams>(`${BASE}/:schedule_id/variables/:key`, async (request, reply) => {
    const found = await ownedSchedule(scheduleOf, request, reply);
    if (!found) return reply;
    const existing = found.schedule.variables.find((v) => v.key === request.params.key);
    if (!existing) return sendError(reply, 404, "404 Variable Not Found");
    const fields = await requestFields(request);
    const variableType = variableTypeOf(fields, existing.variableType);
    if (!variableType)
      return reply.code(400).send({ message: { variable_type: ["does not have a valid value"] } });
    const variable = {
      key: existing.key,
      value: stringField(fields, "value") ?? existing.value,
      variableType,
    };
    await store.schedules.update(
      found.schedule.id,
      { variables: found.schedule.variables.map((v) => (v.key === variable.key ? variable : v)) },
      deps.clock(),
    );
    return scheduleVariableEntity(variable);
  });

  app.delete<VariableParams>(`${BASE}/:schedule_id/variables/:key`, async (request, reply) => {
    const found = await ownedSchedule(scheduleOf, request, reply);
    if (!found) return reply;
    const existing = found.schedule.variables.find((v) => v.key === request.params.key);
    if (!existing) return sendError(reply, 404, "404 Variable Not Found");
    await store.schedules.update(
      found.schedule.id,
      { variables: found.schedule.variables.filter((v) => v.key !== existing.key) },
      deps.clock(),
    );
    return reply.code(202).send(scheduleVariableEntity(existing));
  });
}

const NOT_FOUND = "404 Pipeline Schedule Not Found";

/** The project and schedule named by the path when the caller has `level`; else answers. */
function scheduleFinder(deps: ScheduleApiDeps) {
  const access = projectAccess(deps.store, deps.clock);
  return async (
    request: FastifyRequest<ScheduleParams>,
    reply: FastifyReply,
    level: number,
  ): Promise<Found | undefined> => {
    const found = await access.project(request, reply, level);
    if (!found) return undefined;
    const id = request.params.schedule_id;
    const schedule = /^\d+$/.test(id) ? await deps.store.schedules.byId(Number(id)) : undefined;
    if (!schedule || schedule.projectId !== found.project.id) {
      sendError(reply, 404, NOT_FOUND);
      return undefined;
    }
    return { ...found, schedule };
  };
}

/** The schedule when the caller owns it (and is still a Developer); else answers 403. */
async function ownedSchedule(
  scheduleOf: ReturnType<typeof scheduleFinder>,
  request: FastifyRequest<ScheduleParams>,
  reply: FastifyReply,
): Promise<Found | undefined> {
  const found = await scheduleOf(request, reply, ACCESS_LEVELS.developer);
  if (!found) return undefined;
  if (!isOwner(found)) {
    sendError(reply, 403, "403 Forbidden");
    return undefined;
  }
  return found;
}

function isOwner(found: Found): boolean {
  return found.schedule.ownerId === found.user.id;
}

function viewer(deps: ScheduleApiDeps) {
  return async (found: Omit<Found, "user" | "level">, withVariables: boolean) => {
    const { schedule, project } = found;
    const [owner, lastPipeline] = await Promise.all([
      deps.store.users.byId(schedule.ownerId),
      schedule.lastPipelineId !== undefined
        ? deps.store.pipelines.byId(schedule.lastPipelineId)
        : undefined,
    ]);
    return scheduleEntity({
      schedule,
      project,
      owner,
      lastPipeline,
      serverUrl: deps.serverUrl,
      withVariables,
    });
  };
}

/** The cron, zone and active flag after the request's changes, or the invalid fields. */
function scheduleSettings(
  fields: Fields,
  current: { cron: string; cronTimezone: string; active: boolean },
): { cron: string; cronTimezone: string; active: boolean } | { invalid: Record<string, string[]> } {
  const cron = stringField(fields, "cron") ?? current.cron;
  const cronTimezone = stringField(fields, "cron_timezone") ?? current.cronTimezone;
  const active = booleanField(fields.active);
  const invalid: Record<string, string[]> = {};
  if (!isValidCron(cron)) invalid.cron = ["is invalid syntax"];
  if (!isValidTimezone(cronTimezone)) invalid.cron_timezone = ["is invalid syntax"];
  if (active === null) invalid.active = ["is invalid"];
  if (Object.keys(invalid).length > 0) return { invalid };
  return { cron, cronTimezone, active: active ?? current.active };
}

/** A Grape Boolean: true/false in JSON, "true"/"false" (or 1/0) in forms; null when neither. */
function booleanField(value: unknown): boolean | undefined | null {
  if (value === undefined) return undefined;
  if (value === true || value === "true" || value === "1" || value === 1) return true;
  if (value === false || value === "false" || value === "0" || value === 0) return false;
  return null;
}

function variableTypeOf(
  fields: Fields,
  fallback: "env_var" | "file",
): "env_var" | "file" | undefined {
  const given = fields.variable_type;
  if (given === undefined) return fallback;
  return given === "env_var" || given === "file" ? given : undefined;
}

/** GitLab's rule for CI/CD variable keys: letters, digits and `_`, at most 255 characters. */
function isVariableKey(key: string): boolean {
  return /^[A-Za-z0-9_]{1,255}$/.test(key);
}
