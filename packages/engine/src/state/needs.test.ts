import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkScenario, Harness, runScenario, type Scenario, started } from "./testing/harness.js";

// needs: https://docs.gitlab.com/ci/yaml/#needs ; a job with needs decides on the composite
// status of its needs only, with dag: true (lib/gitlab/ci/status/composite.rb), and in
// ProcessBuildService only `success` lets an on_success job with needs run.
const dag = `
stages: [build, test, deploy]
build-a: {stage: build, script: x}
build-b: {stage: build, script: x}
test-a: {stage: test, script: x, needs: [build-a]}
test-b: {stage: test, script: x, needs: [build-b]}
deploy-a: {stage: deploy, script: x, needs: [test-a]}
lint: {stage: test, script: x, needs: []}
`;

describe("needs (docs: needs)", () => {
  it("starts a job as soon as its needs finish, ignoring the stages", async () => {
    const h = await started(dag);
    assert.deepEqual(Harness.enqueued(h.log), ["build-a", "build-b", "lint"]);
    assert.deepEqual(Harness.enqueued(h.succeed("build-a")), ["test-a"]);
    assert.deepEqual(Harness.enqueued(h.succeed("test-a")), ["deploy-a"]);
    assert.equal(h.status("build-b"), "pending");
    assert.equal(h.status("test-b"), "created");
  });

  const table: Scenario[] = [
    {
      name: "needs: [] starts at once, even in the last stage",
      yaml: `
stages: [a, b]
slow: {stage: a, script: x}
free: {stage: b, script: x, needs: []}
`,
      jobs: { slow: "pending", free: "pending" },
    },
    {
      name: "a failed need skips the job but not the others",
      yaml: dag,
      steps: ["fail build-a", "ok build-b"],
      jobs: { "test-a": "skipped", "deploy-a": "skipped", "test-b": "pending" },
    },
    {
      name: "a need that is allowed to fail counts as success",
      yaml: `
stages: [a, b]
flaky: {stage: a, script: x, allow_failure: true}
next: {stage: b, script: x, needs: [flaky]}
`,
      steps: ["fail flaky"],
      jobs: { flaky: "failed", next: "pending" },
    },
    {
      name: "a skipped need skips the job (a stage-order job would run)",
      yaml: `
stages: [a, b, c]
never-runs: {stage: a, script: x, when: on_failure}
ok: {stage: a, script: x}
with-needs: {stage: b, script: x, needs: [never-runs]}
by-stage: {stage: c, script: x}
`,
      steps: ["ok ok"],
      jobs: { "never-runs": "skipped", "with-needs": "skipped", "by-stage": "pending" },
    },
    {
      name: "when: on_failure with needs runs when a need failed",
      yaml: `
stages: [a, b]
compile: {stage: a, script: x}
report: {stage: b, script: x, needs: [compile], when: on_failure}
`,
      steps: ["fail compile"],
      jobs: { report: "pending" },
    },
    {
      name: "when: always with needs runs after a failed need",
      yaml: `
stages: [a, b]
compile: {stage: a, script: x}
cleanup: {stage: b, script: x, needs: [compile], when: always}
`,
      steps: ["fail compile"],
      jobs: { cleanup: "pending" },
    },
    {
      name: "a need in the same stage",
      yaml: `
stages: [a]
first: {stage: a, script: x}
second: {stage: a, script: x, needs: [first]}
`,
      steps: ["ok first"],
      jobs: { first: "success", second: "pending" },
    },
    {
      name: "a stage-order job still waits for every earlier job, needs jobs included",
      yaml: `
stages: [a, b, c]
quick: {stage: a, script: x}
slow: {stage: b, script: x, needs: []}
last: {stage: c, script: x}
`,
      steps: ["ok quick"],
      jobs: { slow: "pending", last: "created" },
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }
});
