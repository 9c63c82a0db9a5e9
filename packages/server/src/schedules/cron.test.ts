import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidCron, isValidTimezone, nextRunAfter } from "./cron.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

test("five-field cron expressions and nicknames are valid; anything else is not", () => {
  for (const cron of [
    "0 1 * * 5",
    "*/15 * * * *",
    "0 0 L * *",
    "0 9 * * MON-FRI",
    "0 0 * * 1#2",
    "@daily",
    " 0 4 * * * ",
  ]) {
    assert.equal(isValidCron(cron), true, cron);
  }
  for (const cron of [
    "",
    "* * * *",
    "0 0 0 * * *",
    "61 * * * *",
    "0 25 * * *",
    "0 0 31 2 *",
    "H * * * *",
    "@every",
    "abc",
  ]) {
    assert.equal(isValidCron(cron), false, cron);
  }
});

test("IANA zones and UTC are valid time zones", () => {
  assert.equal(isValidTimezone("UTC"), true);
  assert.equal(isValidTimezone("Europe/Berlin"), true);
  assert.equal(isValidTimezone("America/New_York"), true);
  assert.equal(isValidTimezone("Mars/Olympus_Mons"), false);
  assert.equal(isValidTimezone(""), false);
});

test("a daily 09:00 in New York moves from 14:00Z to 13:00Z across the March DST change", () => {
  // US daylight saving time began on Sunday 2026-03-08 at 02:00 local.
  let now = at("2026-03-07T12:00:00Z");
  const runs: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    now = nextRunAfter("0 9 * * *", "America/New_York", now);
    runs.push(iso(now));
  }
  assert.deepEqual(runs, [
    "2026-03-07T14:00:00.000Z",
    "2026-03-08T13:00:00.000Z",
    "2026-03-09T13:00:00.000Z",
  ]);
});

test("a wall time the spring change skips runs an hour later that day, and once on the repeated autumn hour", () => {
  // 02:30 does not exist in Berlin on 2026-03-29 (clocks jump from 02:00 to 03:00 CET→CEST).
  assert.equal(
    iso(nextRunAfter("30 2 * * *", "Europe/Berlin", at("2026-03-28T12:00:00Z"))),
    "2026-03-29T01:30:00.000Z",
  );
  // 02:30 happens twice in Berlin on 2026-10-25 (03:00 CEST → 02:00 CET): one run, the first.
  const first = nextRunAfter("30 2 * * *", "Europe/Berlin", at("2026-10-24T12:00:00Z"));
  assert.equal(iso(first), "2026-10-25T00:30:00.000Z");
  assert.equal(iso(nextRunAfter("30 2 * * *", "Europe/Berlin", first)), "2026-10-26T01:30:00.000Z");
});

test("the next run is strictly after the given time", () => {
  assert.equal(
    iso(nextRunAfter("0 * * * *", "UTC", at("2026-01-01T10:00:00Z"))),
    "2026-01-01T11:00:00.000Z",
  );
  assert.equal(
    iso(nextRunAfter("0 * * * *", "UTC", at("2026-01-01T09:59:59.999Z"))),
    "2026-01-01T10:00:00.000Z",
  );
});
