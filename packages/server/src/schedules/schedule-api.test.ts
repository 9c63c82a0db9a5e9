import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import {
  as,
  type Member,
  parsingLikeServer,
  RecordingStarter,
  SERVER_URL,
  world,
  type World,
} from "../triggers/test-support.js";
import { registerScheduleApi } from "./schedule-api.js";

const NOW = Date.parse("2026-03-07T12:00:00Z");

let w: World;
let app: FastifyInstance;
let starter: RecordingStarter;

before(async () => {
  w = await world(NOW);
  starter = new RecordingStarter(w.store);
  app = await parsingLikeServer();
  registerScheduleApi(app, { store: w.store, starter, clock: () => NOW, serverUrl: SERVER_URL });
  await app.ready();
});

after(async () => {
  await app.close();
  await w.dispose();
});

beforeEach(() => {
  starter.calls.length = 0;
  starter.error = undefined;
});

const base = () => `/api/v4/projects/${w.project.id}/pipeline_schedules`;

async function create(member: Member, body: Record<string, unknown> = {}) {
  return app.inject({
    method: "POST",
    url: base(),
    headers: as(member),
    payload: {
      description: "nightly",
      ref: "main",
      cron: "0 9 * * *",
      cron_timezone: "America/New_York",
      ...body,
    },
  });
}

async function createOk(member: Member = w.developer, body: Record<string, unknown> = {}) {
  const answer = await create(member, body);
  assert.equal(answer.statusCode, 201, answer.body);
  return answer.json();
}

describe("pipeline schedules", () => {
  test("a Developer creates a schedule; its entity carries GitLab's fields and the next run in its zone", async () => {
    const schedule = await createOk();
    assert.deepEqual(Object.keys(schedule).sort(), [
      "active",
      "created_at",
      "cron",
      "cron_timezone",
      "description",
      "id",
      "last_pipeline",
      "next_run_at",
      "owner",
      "ref",
      "updated_at",
      "variables",
    ]);
    assert.equal(schedule.cron_timezone, "America/New_York");
    assert.equal(schedule.active, true);
    assert.equal(schedule.next_run_at, "2026-03-07T14:00:00.000Z");
    assert.equal(schedule.owner.username, w.developer.user.username);
    assert.equal(schedule.last_pipeline, null);
    assert.deepEqual(schedule.variables, []);
  });

  test("form-encoded creation with the default zone (UTC) and active=false has no next run", async () => {
    const answer = await app.inject({
      method: "POST",
      url: base(),
      headers: { ...as(w.developer), "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({
        description: "weekly",
        ref: "main",
        cron: "0 1 * * 5",
        active: "false",
      }).toString(),
    });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.equal(answer.json().cron_timezone, "UTC");
    assert.equal(answer.json().active, false);
    assert.equal(answer.json().next_run_at, null);
  });

  test("permissions: 401 without a token, 404 for strangers, reporters read but cannot create", async () => {
    const created = await createOk();
    assert.equal((await app.inject({ method: "GET", url: base() })).statusCode, 401);
    assert.equal(
      (await app.inject({ method: "GET", url: base(), headers: as(w.stranger) })).statusCode,
      404,
    );
    const listed = await app.inject({ method: "GET", url: base(), headers: as(w.reporter) });
    assert.equal(listed.statusCode, 200);
    assert.ok(listed.json().some((s: { id: number }) => s.id === created.id));
    assert.equal((await create(w.reporter)).statusCode, 403);
    const single = await app.inject({
      method: "GET",
      url: `${base()}/${created.id}`,
      headers: as(w.reporter),
    });
    assert.equal(single.statusCode, 200);
    assert.equal(single.json().variables, undefined, "a reporter does not see variables");
  });

  test("missing fields answer 400 naming them; an invalid cron or zone answers 400 naming the field", async () => {
    const missing = await app.inject({
      method: "POST",
      url: base(),
      headers: as(w.developer),
      payload: { description: "x" },
    });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), { error: "ref is missing, cron is missing" });
    const badCron = await create(w.developer, { cron: "0 25 * * *" });
    assert.equal(badCron.statusCode, 400);
    assert.deepEqual(badCron.json(), { message: { cron: ["is invalid syntax"] } });
    const badZone = await create(w.developer, { cron_timezone: "Mars/Olympus_Mons" });
    assert.equal(badZone.statusCode, 400);
    assert.deepEqual(badZone.json(), { message: { cron_timezone: ["is invalid syntax"] } });
  });

  test("only the owner edits; a Maintainer takes ownership first; edits reschedule", async () => {
    const created = await createOk();
    const url = `${base()}/${created.id}`;
    const byMaintainer = await app.inject({
      method: "PUT",
      url,
      headers: as(w.maintainer),
      payload: { cron: "0 10 * * *" },
    });
    assert.equal(byMaintainer.statusCode, 403);

    const edited = await app.inject({
      method: "PUT",
      url,
      headers: as(w.developer),
      payload: { cron: "30 6 * * *", cron_timezone: "UTC", description: "morning" },
    });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.equal(edited.json().description, "morning");
    assert.equal(edited.json().next_run_at, "2026-03-08T06:30:00.000Z");
    const invalid = await app.inject({
      method: "PUT",
      url,
      headers: as(w.developer),
      payload: { cron: "nope" },
    });
    assert.deepEqual(invalid.json(), { message: { cron: ["is invalid syntax"] } });

    const byReporter = await app.inject({
      method: "POST",
      url: `${url}/take_ownership`,
      headers: as(w.reporter),
    });
    assert.equal(byReporter.statusCode, 403);
    const taken = await app.inject({
      method: "POST",
      url: `${url}/take_ownership`,
      headers: as(w.maintainer),
    });
    assert.equal(taken.statusCode, 201);
    assert.equal(taken.json().owner.username, w.maintainer.user.username);
    const deactivated = await app.inject({
      method: "PUT",
      url,
      headers: as(w.maintainer),
      payload: { active: false },
    });
    assert.equal(deactivated.json().active, false);
    assert.equal(deactivated.json().next_run_at, null);
  });

  test("variables: owner creates, edits and deletes them; duplicates and bad keys answer 400", async () => {
    const created = await createOk();
    const url = `${base()}/${created.id}/variables`;
    const added = await app.inject({
      method: "POST",
      url,
      headers: as(w.developer),
      payload: { key: "TARGET", value: "prod" },
    });
    assert.equal(added.statusCode, 201);
    assert.deepEqual(added.json(), { key: "TARGET", variable_type: "env_var", value: "prod" });
    const duplicate = await app.inject({
      method: "POST",
      url,
      headers: as(w.developer),
      payload: { key: "TARGET", value: "x" },
    });
    assert.deepEqual(duplicate.json(), { message: { key: ["has already been taken"] } });
    const badKey = await app.inject({
      method: "POST",
      url,
      headers: as(w.developer),
      payload: { key: "NO-DASH", value: "x" },
    });
    assert.equal(badKey.statusCode, 400);
    const notOwner = await app.inject({
      method: "POST",
      url,
      headers: as(w.maintainer),
      payload: { key: "B", value: "x" },
    });
    assert.equal(notOwner.statusCode, 403);

    const edited = await app.inject({
      method: "PUT",
      url: `${url}/TARGET`,
      headers: as(w.developer),
      payload: { value: "staging", variable_type: "file" },
    });
    assert.deepEqual(edited.json(), { key: "TARGET", variable_type: "file", value: "staging" });
    const shown = await app.inject({
      method: "GET",
      url: `${base()}/${created.id}`,
      headers: as(w.developer),
    });
    assert.deepEqual(shown.json().variables, [
      { key: "TARGET", variable_type: "file", value: "staging" },
    ]);

    const deleted = await app.inject({
      method: "DELETE",
      url: `${url}/TARGET`,
      headers: as(w.developer),
    });
    assert.equal(deleted.statusCode, 202);
    assert.equal(deleted.json().key, "TARGET");
    const missing = await app.inject({
      method: "DELETE",
      url: `${url}/TARGET`,
      headers: as(w.developer),
    });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual((await w.store.schedules.byId(created.id))?.variables, []);
  });

  test("play starts the schedule's pipeline now with its variables and records it as the last pipeline", async () => {
    const created = await createOk();
    await app.inject({
      method: "POST",
      url: `${base()}/${created.id}/variables`,
      headers: as(w.developer),
      payload: { key: "MODE", value: "full" },
    });
    const played = await app.inject({
      method: "POST",
      url: `${base()}/${created.id}/play`,
      headers: as(w.developer),
    });
    assert.equal(played.statusCode, 201);
    assert.deepEqual(played.json(), { message: "201 Created" });
    assert.equal(starter.calls.length, 1);
    assert.equal(starter.calls[0]?.request.source, "schedule");
    assert.deepEqual(starter.calls[0]?.request.variables, { MODE: "full" });
    const shown = await app.inject({
      method: "GET",
      url: `${base()}/${created.id}`,
      headers: as(w.developer),
    });
    assert.equal(shown.json().last_pipeline.status, "created");
    assert.equal(
      shown.json().next_run_at,
      created.next_run_at,
      "playing does not move the next run",
    );

    const byReporter = await app.inject({
      method: "POST",
      url: `${base()}/${created.id}/play`,
      headers: as(w.reporter),
    });
    assert.equal(byReporter.statusCode, 403);
    starter.error = "Reference not found";
    const failed = await app.inject({
      method: "POST",
      url: `${base()}/${created.id}/play`,
      headers: as(w.developer),
    });
    assert.equal(failed.statusCode, 400);
  });

  test("delete: the owner or a Maintainer (204); other Developers 403; unknown 404; scope filters lists", async () => {
    const mine = await createOk(w.owner);
    const other = await app.inject({
      method: "DELETE",
      url: `${base()}/${mine.id}`,
      headers: as(w.developer),
    });
    assert.equal(other.statusCode, 403);
    const byMaintainer = await app.inject({
      method: "DELETE",
      url: `${base()}/${mine.id}`,
      headers: as(w.maintainer),
    });
    assert.equal(byMaintainer.statusCode, 204);
    const gone = await app.inject({
      method: "GET",
      url: `${base()}/${mine.id}`,
      headers: as(w.maintainer),
    });
    assert.equal(gone.statusCode, 404);
    assert.deepEqual(gone.json(), { message: "404 Pipeline Schedule Not Found" });

    const active = await createOk(w.developer, { description: "on" });
    const inactive = await createOk(w.developer, { description: "off", active: false });
    const listActive = await app.inject({
      method: "GET",
      url: `${base()}?scope=active`,
      headers: as(w.reporter),
    });
    const ids = listActive.json().map((s: { id: number }) => s.id);
    assert.ok(ids.includes(active.id) && !ids.includes(inactive.id));
    const own = await app.inject({
      method: "DELETE",
      url: `${base()}/${active.id}`,
      headers: as(w.developer),
    });
    assert.equal(own.statusCode, 204);
  });
});
