/**
 * `environment:auto_stop_in` read as GitLab reads durations (docs: ci/yaml,
 * https://docs.gitlab.com/ci/yaml/#environmentauto_stop_in): a period from now, `never`
 * clearing the scheduled stop, anything else leaving it alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { autoStopChange } from "./auto-stop.js";

const NOW = 1_767_000_000_000;

test("periods in natural language count from now", () => {
  assert.deepEqual(autoStopChange("1 day", NOW), { autoStopAt: NOW + 86_400_000 });
  assert.deepEqual(autoStopChange("30 minutes", NOW), { autoStopAt: NOW + 1_800_000 });
  assert.deepEqual(autoStopChange("1 hour and 30 minutes", NOW), {
    autoStopAt: NOW + 5_400_000,
  });
  // The docs' equivalent spellings of one week.
  for (const week of ["168 hours", "7 days", "one week"])
    assert.deepEqual(autoStopChange(week, NOW), { autoStopAt: NOW + 604_800_000 }, week);
});

test("never clears the scheduled stop; no value or no duration changes nothing", () => {
  const never = autoStopChange("never", NOW);
  assert.equal("autoStopAt" in never, true);
  assert.equal(never.autoStopAt, undefined);
  assert.deepEqual(autoStopChange(" Never ", NOW), { autoStopAt: undefined });
  assert.deepEqual(autoStopChange(undefined, NOW), {});
  assert.deepEqual(autoStopChange("soon", NOW), {});
  assert.deepEqual(autoStopChange("0 days", NOW), {});
});
