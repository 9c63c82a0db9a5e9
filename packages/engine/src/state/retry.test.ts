import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRetry, shouldRetry } from "./retry.js";

// lib/gitlab/ci/build/auto_retry.rb; https://docs.gitlab.com/ci/yaml/#retry
describe("automatic retry (Gitlab::Ci::Build::AutoRetry)", () => {
  const table: [
    name: string,
    retry: unknown,
    reason: string,
    exitCode: number | undefined,
    retriesSoFar: number,
    expected: boolean,
  ][] = [
    ["no retry keyword", undefined, "script_failure", 1, 0, false],
    ["retry: 2, first failure", 2, "script_failure", 1, 0, true],
    ["retry: 2, third failure", 2, "script_failure", 1, 2, false],
    ["retry: 0", 0, "script_failure", 1, 0, false],
    ["max without when retries any reason", { max: 1 }, "api_failure", undefined, 0, true],
    [
      "when matches the reason",
      { max: 2, when: "runner_system_failure" },
      "runner_system_failure",
      undefined,
      1,
      true,
    ],
    [
      "when does not match",
      { max: 2, when: "runner_system_failure" },
      "script_failure",
      1,
      0,
      false,
    ],
    [
      "when as a list",
      { max: 2, when: ["api_failure", "stuck_or_timeout_failure"] },
      "stuck_or_timeout_failure",
      undefined,
      0,
      true,
    ],
    ["when: always", { max: 1, when: "always" }, "job_execution_timeout", undefined, 0, true],
    ["exit_codes match", { max: 2, exit_codes: 137 }, "script_failure", 137, 0, true],
    [
      "exit_codes do not match, no when: not retried",
      { max: 2, exit_codes: 137 },
      "script_failure",
      1,
      0,
      false,
    ],
    [
      "exit_codes without an exit code",
      { max: 2, exit_codes: [137] },
      "runner_system_failure",
      undefined,
      0,
      false,
    ],
    [
      "when or exit_codes: reason matches",
      { max: 2, when: "runner_system_failure", exit_codes: 137 },
      "runner_system_failure",
      undefined,
      0,
      true,
    ],
    [
      "when or exit_codes: exit code matches",
      { max: 2, when: "runner_system_failure", exit_codes: 137 },
      "script_failure",
      137,
      0,
      true,
    ],
    [
      "when or exit_codes: neither",
      { max: 2, when: "runner_system_failure", exit_codes: 137 },
      "script_failure",
      1,
      0,
      false,
    ],
    [
      "missing_dependency_failure is never retried",
      2,
      "missing_dependency_failure",
      undefined,
      0,
      false,
    ],
    [
      "scheduler_failure retried twice by default",
      undefined,
      "scheduler_failure",
      undefined,
      1,
      true,
    ],
    ["scheduler_failure not a third time", undefined, "scheduler_failure", undefined, 2, false],
    [
      "max without a reason match falls back to the defaults",
      { max: 2, when: "script_failure" },
      "scheduler_failure",
      undefined,
      0,
      true,
    ],
  ];
  for (const [name, retry, reason, exitCode, retriesSoFar, expected] of table) {
    it(`${name} → ${expected ? "retried" : "not retried"}`, () => {
      const failure = exitCode === undefined ? { reason } : { reason, exitCode };
      assert.equal(shouldRetry(parseRetry(retry), failure, retriesSoFar), expected);
    });
  }

  it("reads both forms of the keyword", () => {
    assert.deepEqual(parseRetry(2), { max: 2 });
    assert.deepEqual(parseRetry({ max: 1, when: "api_failure", exit_codes: [1, 2] }), {
      max: 1,
      when: ["api_failure"],
      exitCodes: [1, 2],
    });
    assert.deepEqual(parseRetry(undefined), {});
  });
});
