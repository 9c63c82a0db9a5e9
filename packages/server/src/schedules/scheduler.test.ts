import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import type { ScheduleRecord } from "../store/types.js";
import { RecordingStarter, world, type World } from "../triggers/test-support.js";
import { Scheduler } from "./scheduler.js";

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

let w: World;
let starter: RecordingStarter;
let now: number;
let scheduler: Scheduler;
let errors: unknown[];

before(async () => {
  w = await world(at("2026-01-01T00:00:00Z"));
  starter = new RecordingStarter(w.store);
});

after(async () => {
  await w.dispose();
});

beforeEach(async () => {
  for (const schedule of await w.store.schedules.ofProject(w.project.id))
    await w.store.schedules.delete(schedule.id);
  starter.calls.length = 0;
  errors = [];
  scheduler = new Scheduler({
    store: w.store,
    starter,
    clock: () => now,
    intervalMs: 24 * HOUR,
    onError: (error) => errors.push(error),
  });
});

async function hourly(change: Partial<ScheduleRecord> = {}): Promise<ScheduleRecord> {
  return w.store.schedules.create(
    {
      projectId: w.project.id,
      ownerId: w.developer.user.id,
      description: "hourly",
      ref: "main",
      cron: "0 * * * *",
      cronTimezone: "UTC",
      active: true,
      variables: [{ key: "NIGHTLY", value: "1", variableType: "env_var" }],
      nextRunAt: at("2026-01-01T01:00:00Z"),
      ...change,
    },
    at("2026-01-01T00:30:00Z"),
  );
}

test("a schedule that fell due 100 times while the server was down runs once, then keeps its rhythm", async () => {
  const schedule = await hourly();
  now = at("2026-01-05T04:20:00Z"); // 100 hourly windows after 01:00 on the 1st

  assert.equal(await scheduler.runDue(), 1);
  assert.equal(starter.calls.length, 1);
  const { request } = starter.calls[0]!;
  assert.deepEqual(
    {
      ref: request.ref,
      source: request.source,
      variables: request.variables,
      user: request.user?.id,
    },
    { ref: "main", source: "schedule", variables: { NIGHTLY: "1" }, user: w.developer.user.id },
  );
  const ran = await w.store.schedules.byId(schedule.id);
  assert.equal(ran?.nextRunAt, at("2026-01-05T05:00:00Z"));
  assert.ok(ran?.lastPipelineId !== undefined);
  assert.equal((await w.store.pipelines.byId(ran.lastPipelineId))?.source, "schedule");

  assert.equal(await scheduler.runDue(), 0, "nothing more is due at the same time");
  now = at("2026-01-05T04:59:59Z");
  assert.equal(await scheduler.runDue(), 0);
  now = at("2026-01-05T05:00:00Z");
  assert.equal(await scheduler.runDue(), 1);
  assert.equal(starter.calls.length, 2);
  assert.equal((await w.store.schedules.byId(schedule.id))?.nextRunAt, at("2026-01-05T06:00:00Z"));
  assert.deepEqual(errors, []);
});

test("inactive and not-yet-due schedules do not run", async () => {
  await hourly({ active: false, nextRunAt: at("2026-01-01T01:00:00Z") });
  await hourly({ nextRunAt: at("2026-01-01T06:00:00Z") });
  now = at("2026-01-01T05:00:00Z");
  assert.equal(await scheduler.runDue(), 0);
  assert.equal(starter.calls.length, 0);
});

test("a schedule whose owner is no longer a Developer starts nothing but moves to its next run", async () => {
  const schedule = await hourly({ ownerId: w.reporter.user.id });
  now = at("2026-01-01T01:00:00Z");
  await scheduler.runDue();
  assert.equal(starter.calls.length, 0);
  const after = await w.store.schedules.byId(schedule.id);
  assert.equal(after?.nextRunAt, at("2026-01-01T02:00:00Z"));
  assert.equal(after?.lastPipelineId, undefined);
});

test("a pipeline that cannot start still moves the schedule on, and other schedules still run", async () => {
  const failing = await hourly({ ref: "gone" });
  const working = await hourly({ nextRunAt: at("2026-01-01T01:30:00Z") });
  const real = starter.start.bind(starter);
  starter.start = async (project, request) =>
    request.ref === "gone" ? { error: "Reference not found" } : real(project, request);
  try {
    now = at("2026-01-01T02:10:00Z");
    await scheduler.runDue();
  } finally {
    starter.start = real;
  }
  assert.equal((await w.store.schedules.byId(failing.id))?.nextRunAt, at("2026-01-01T03:00:00Z"));
  assert.ok((await w.store.schedules.byId(working.id))?.lastPipelineId !== undefined);
});

test("start() runs due schedules at once; stop() waits for that run; overlapping ticks share one run", async () => {
  await hourly();
  now = at("2026-01-01T01:00:00Z");
  const first = scheduler.runDue();
  assert.equal(scheduler.runDue(), first);
  assert.equal(await first, 1);

  now = at("2026-01-01T02:00:00Z");
  scheduler.start();
  await scheduler.stop();
  assert.equal(starter.calls.length, 2);
});
