import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "./chronic-duration.js";

// Expected values follow gitlab-chronic-duration's `ChronicDuration.parse` (and GitLab's JS
// port, app/assets/javascripts/chronic_duration.js): 24-hour days, 7-day weeks, 30-day months.
describe("parseDuration (GitLab's ChronicDuration.parse)", () => {
  const cases: [string | number, number | undefined][] = [
    ["10", 10],
    [10, 10],
    ["30 minutes", 1800],
    ["1 minute", 60],
    ["1 day", 86_400],
    ["1 week", 604_800],
    ["2 weeks", 1_209_600],
    ["1 month", 2_592_000],
    ["1 year", 31_557_600],
    ["2 hours 30 min", 9000],
    ["2h30m", 9000],
    ["1h 30m", 5400],
    ["3 mins 4 sec", 184],
    ["1.5 hours", 5400],
    [".5 hours", 1800],
    ["1 day and 2 hours", 93_600],
    ["1 hour, 5 minutes", 3900],
    ["1 HOUR", 3600],
    ["hour", 3600],
    ["minute 30 sec", 90],
    ["one hour", 3600],
    ["twenty five minutes", 1500],
    ["twenty-five minutes", 1500],
    ["1:30", 90],
    ["1:02:03", 3723],
    ["4:00:00:00", 345_600],
    ["1:1:1:1:1:1:1", undefined],
    ["2 hours 30", 7230], // a trailing bare number is seconds
    ["5 5 minutes", 300], // a number followed by a number counts nothing
    ["0", undefined],
    ["0 minutes", undefined],
    ["", undefined],
    ["soon", undefined],
  ];
  for (const [input, seconds] of cases) {
    it(`${JSON.stringify(input)} → ${seconds}`, () => {
      assert.equal(parseDuration(input), seconds);
    });
  }

  it("reads a bare number in the given default unit", () => {
    assert.equal(parseDuration("5", { defaultUnit: "minutes" }), 300);
  });
});
