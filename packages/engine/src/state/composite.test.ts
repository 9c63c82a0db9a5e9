import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compositeStatus, type StatusEntry } from "./composite.js";
import type { JobStatus } from "./statuses.js";

// Cases follow lib/gitlab/ci/status/composite.rb and its spec
// (spec/lib/gitlab/ci/status/composite_spec.rb). `status!` marks a job with allow_failure.
const entries = (spec: string): StatusEntry[] =>
  spec
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => ({
      status: word.replace(/!$/, "") as JobStatus,
      allowFailure: word.endsWith("!"),
    }));

describe("composite status (Gitlab::Ci::Status::Composite)", () => {
  const table: [jobs: string, dag: boolean, status: string | undefined, warnings: boolean][] = [
    ["", false, undefined, false],
    ["success success", false, "success", false],
    ["success skipped", false, "success", false],
    ["skipped skipped", false, "skipped", false],
    ["created created", false, "created", false],
    ["pending created", false, "pending", false],
    ["pending skipped success", false, "running", false],
    ["running success", false, "running", false],
    ["success failed", false, "failed", false],
    ["failed created", false, "running", false],
    ["success failed!", false, "success", true],
    ["success canceled!", false, "success", true],
    ["canceled success", false, "canceled", false],
    ["canceled failed", false, "failed", false],
    ["success manual", false, "manual", false],
    ["success manual!", false, "success", false],
    ["manual!", false, "skipped", false],
    ["success manual created", false, "manual", false],
    ["running manual", false, "running", false],
    ["success scheduled", false, "scheduled", false],
    ["manual scheduled", false, "manual", false],
    ["waiting_for_resource created", false, "waiting_for_resource", false],
    ["running waiting_for_resource", false, "running", false],
    ["canceling canceled", false, "canceling", false],
    ["canceling created", false, "running", false],
    ["failed! created", false, "created", true],
    // needs (dag): any skipped or ignored need skips the job
    ["success skipped", true, "skipped", false],
    ["success manual!", true, "skipped", false],
    ["success manual", true, "manual", false],
    ["success failed!", true, "success", true],
    ["success running", true, "running", false],
  ];
  for (const [jobs, dag, status, warnings] of table) {
    it(`${dag ? "needs " : ""}[${jobs}] → ${status}${warnings ? " with warnings" : ""}`, () => {
      assert.deepEqual(compositeStatus(entries(jobs), { dag }), { status, warnings });
    });
  }
});
