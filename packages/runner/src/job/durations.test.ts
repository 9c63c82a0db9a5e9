import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatGoDuration, parseGoDuration } from "./durations.js";

describe("Go durations", () => {
  for (const [text, ms] of [
    ["10s", 10_000],
    ["1m", 60_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["0", 0],
    ["2h0m5s", 7_205_000],
  ] as const) {
    it(`parses ${text}`, () => assert.equal(parseGoDuration(text), ms));
  }
  for (const bad of ["", "10", "abc", "1x", "m", "1h 2m"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseGoDuration(bad), undefined));
  }
  for (const [ms, text] of [
    [3_600_000, "1h0m0s"],
    [7_200_000, "2h0m0s"],
    [90_000, "1m30s"],
    [30_000, "30s"],
    [1_500, "1.5s"],
    [500, "500ms"],
    [0, "0s"],
  ] as const) {
    it(`prints ${ms} ms as ${text}`, () => assert.equal(formatGoDuration(ms), text));
  }
});
