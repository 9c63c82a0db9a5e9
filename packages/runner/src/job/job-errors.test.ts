import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testPayload } from "../testing/fixtures.js";
import { exitMessage, failureText, jobResultOf, statusOf } from "./job-errors.js";

describe("job errors", () => {
  const payload = testPayload();

  it("reports exits as script failures with the exit code", () => {
    const error = { kind: "exit" as const, exitCode: 42, message: exitMessage("shell", 42) };
    assert.deepEqual(jobResultOf(error, payload), {
      state: "failed",
      failure_reason: "script_failure",
      exit_code: 42,
    });
    assert.equal(failureText(error), "exit status 42");
    assert.equal(exitMessage("docker", 3), "exit code 3");
    assert.equal(statusOf(error), "failed");
  });

  it("reports timeouts, cancels and system failures as the runner does", () => {
    assert.deepEqual(jobResultOf({ kind: "timeout", timeoutMs: 3_600_000 }, payload), {
      state: "failed",
      failure_reason: "job_execution_timeout",
    });
    assert.equal(
      failureText({ kind: "timeout", timeoutMs: 3_600_000 }),
      "execution took longer than 1h0m0s seconds",
    );
    assert.deepEqual(jobResultOf({ kind: "canceled" }, payload), {
      state: "failed",
      failure_reason: "unknown_failure",
      canceled: true,
    });
    assert.equal(statusOf({ kind: "canceled" }), "canceled");
    assert.equal(statusOf({ kind: "script-timeout" }), "timedout");
    assert.equal(statusOf(undefined), "success");
    assert.deepEqual(jobResultOf({ kind: "system", message: "x" }, payload), {
      state: "failed",
      failure_reason: "runner_system_failure",
    });
    assert.deepEqual(jobResultOf(undefined, payload), { state: "success" });
  });

  it("maps reasons GitLab did not list to unknown_failure", () => {
    const listing = { ...payload, features: { failure_reasons: ["script_failure"] } };
    const missing = {
      kind: "failure" as const,
      reason: "missing_dependency_failure" as const,
      message: "m",
    };
    assert.equal(jobResultOf(missing, listing).failure_reason, "unknown_failure");
    assert.equal(jobResultOf(missing, payload).failure_reason, "missing_dependency_failure");
    assert.equal(
      jobResultOf({ kind: "timeout", timeoutMs: 1 }, listing).failure_reason,
      "job_execution_timeout",
    );
  });
});
