import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, runReport, summaryTable } from "./run-report.js";

describe("run report", () => {
  const jobs = [
    {
      name: "build",
      stage: "build",
      status: "success",
      allowFailure: false,
      exitCode: 0,
      durationS: 1.23456,
    },
    {
      name: "lint",
      stage: "test",
      status: "failed",
      allowFailure: true,
      exitCode: 1,
      durationS: 0.5,
    },
    { name: "deploy", stage: "deploy", status: "manual", allowFailure: true },
  ];

  it("writes GitLab's statuses, exit codes and durations, null where a job never ran", () => {
    assert.deepEqual(runReport("success", jobs), {
      status: "success",
      jobs: [
        {
          name: "build",
          stage: "build",
          status: "success",
          allow_failure: false,
          exit_code: 0,
          duration_s: 1.235,
        },
        {
          name: "lint",
          stage: "test",
          status: "failed",
          allow_failure: true,
          exit_code: 1,
          duration_s: 0.5,
        },
        {
          name: "deploy",
          stage: "deploy",
          status: "manual",
          allow_failure: true,
          exit_code: null,
          duration_s: null,
        },
      ],
    });
  });

  it("marks allowed failures in the summary table", () => {
    const table = summaryTable(jobs);
    assert.match(table, /lint\s+test\s+failed \(allowed to fail\)\s+0\.50s/);
    assert.match(table, /deploy\s+deploy\s+manual/);
  });

  it("formats durations in seconds, then minutes", () => {
    assert.equal(formatDuration(2.5), "2.50s");
    assert.equal(formatDuration(42.25), "42.3s");
    assert.equal(formatDuration(125), "2m05s");
  });
});
