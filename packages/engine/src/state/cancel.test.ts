import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkScenario, Harness, runScenario, type Scenario, started } from "./testing/harness.js";

// Cancel: every cancelable job (created, waiting, pending, running, scheduled — not manual)
// is canceled; a running job is told to stop and is `canceling` until its runner reports.
// Sources: app/services/ci/cancel_pipeline_service.rb, Ci::HasStatus::CANCELABLE_STATUSES,
// https://docs.gitlab.com/ci/pipelines/#cancel-a-pipeline
const yaml = `
stages: [build, test, deploy]
build: {stage: build, script: x}
unit: {stage: test, script: x}
e2e: {stage: test, script: x}
deploy: {stage: deploy, script: x}
review: {stage: deploy, script: x, when: manual}
`;

describe("cancel (Ci::CancelPipelineService)", () => {
  it("stops running jobs, drops queued ones and cancels the rest", async () => {
    const h = await started(yaml);
    h.succeed("build");
    h.running("unit");
    const decisions = h.apply({ type: "cancel" });
    assert.deepEqual(decisions, [
      { type: "stop", jobId: h.id("unit") },
      { type: "dequeue", jobId: h.id("e2e") },
    ]);
    assert.deepEqual(h.statuses(), {
      build: "success",
      unit: "canceling",
      e2e: "canceled",
      deploy: "canceled",
      review: "canceled",
    });
    assert.equal(h.run.status, "canceling");
    assert.ok(!h.run.isIdle);
  });

  it("cancels one named job and leaves the others running (the job's Cancel button)", async () => {
    const h = await started(yaml);
    h.succeed("build");
    h.running("unit");
    const decisions = h.apply({ type: "cancel", jobName: "unit" });
    assert.deepEqual(decisions, [{ type: "stop", jobId: h.id("unit") }]);
    assert.equal(h.statuses().unit, "canceling");
    assert.equal(h.statuses().e2e, "pending");
    assert.equal(h.statuses().deploy, "created");
    assert.deepEqual(h.apply({ type: "cancel", jobName: "no such job" }), []);
  });

  const table: Scenario[] = [
    {
      name: "the runner's report ends the cancel, whatever the script's outcome",
      yaml,
      steps: ["ok build", "run unit", "cancel", "ok unit"],
      jobs: { build: "success", unit: "canceled", e2e: "canceled" },
      pipeline: "canceled",
    },
    {
      name: "manual jobs stay playable",
      yaml,
      steps: ["ok build unit e2e", "cancel"],
      jobs: { deploy: "canceled", review: "manual" },
      pipeline: "canceled",
    },
    {
      name: "a failed job before the cancel keeps the pipeline failed",
      yaml: `
stages: [a]
x1: {stage: a, script: x}
x2: {stage: a, script: x}
`,
      steps: ["fail x1", "cancel"],
      jobs: { x1: "failed", x2: "canceled" },
      pipeline: "failed",
    },
    {
      name: "a runner that stopped a job on its own reports it canceled",
      yaml,
      steps: ["canceled build"],
      jobs: { build: "canceled", unit: "skipped" },
      pipeline: "canceled",
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }

  it("a job retried while canceling keeps its resource group until the runner reports", async () => {
    const h = await started(`deploy: {script: x, resource_group: prod}\n`);
    const first = h.id("deploy");
    h.running("deploy");
    h.apply({ type: "cancel" });
    assert.deepEqual(h.apply({ type: "retry", jobName: "deploy" }), []);
    assert.equal(h.status("deploy"), "waiting_for_resource");
    const decisions = h.apply({
      type: "job-finished",
      jobId: first,
      result: { state: "failed", canceled: true },
    });
    assert.deepEqual(Harness.enqueued(decisions), ["deploy"]);
    assert.equal(h.run.attempt(first)?.status, "canceled");
    assert.equal(h.run.attempt(first)?.retried, true);
  });

  it("tells a runner that took a job being canceled to stop it", async () => {
    const h = await started(yaml);
    const id = h.id("build");
    h.apply({ type: "cancel" });
    assert.deepEqual(h.apply({ type: "job-running", jobId: id }), [{ type: "stop", jobId: id }]);
    assert.deepEqual(
      h.apply({ type: "job-finished", jobId: id, result: { state: "success" } }),
      [],
    );
    assert.equal(h.status("build"), "canceled");
  });
});

// workflow:auto_cancel:on_new_commit: https://docs.gitlab.com/ci/yaml/#workflowauto_cancelon_new_commit
// and interruptible: https://docs.gitlab.com/ci/yaml/#interruptible ;
// app/services/ci/pipeline_creation/cancel_redundant_pipelines_service.rb.
describe("auto-cancel on a new commit (docs: workflow:auto_cancel:on_new_commit, interruptible)", () => {
  const pipeline = (mode?: string) => `
${mode ? `workflow: {auto_cancel: {on_new_commit: ${mode}}}` : ""}
stages: [test, deploy]
unit: {stage: test, script: x, interruptible: true}
e2e: {stage: test, script: x}
deploy: {stage: deploy, script: x}
`;
  const table: Scenario[] = [
    {
      name: "conservative (default): nothing non-interruptible started, the whole pipeline is canceled",
      yaml: pipeline(),
      steps: ["run unit", "auto-cancel"],
      jobs: { unit: "canceling", e2e: "canceled", deploy: "canceled" },
    },
    {
      name: "conservative: a started non-interruptible job keeps the pipeline",
      yaml: pipeline(),
      steps: ["run unit e2e", "auto-cancel"],
      jobs: { unit: "running", e2e: "running", deploy: "created" },
    },
    {
      name: "conservative: a finished non-interruptible job counts as started",
      yaml: pipeline(),
      steps: ["ok e2e", "auto-cancel"],
      jobs: { unit: "pending", e2e: "success" },
    },
    {
      name: "interruptible: only interruptible jobs are canceled",
      yaml: pipeline("interruptible"),
      steps: ["run unit e2e", "auto-cancel"],
      jobs: { unit: "canceling", e2e: "running", deploy: "created" },
    },
    {
      name: "none: nothing is canceled",
      yaml: pipeline("none"),
      steps: ["auto-cancel"],
      jobs: { unit: "pending", e2e: "pending" },
    },
    {
      name: "the event's mode overrides the plan's",
      yaml: pipeline("none"),
      steps: ["auto-cancel interruptible"],
      jobs: { unit: "canceled", e2e: "pending" },
    },
    {
      name: "a blocked pipeline is not auto-canceled",
      yaml: `
stages: [a, b]
gate: {stage: a, script: x, when: manual, allow_failure: false, interruptible: true}
after: {stage: b, script: x, interruptible: true}
`,
      steps: ["auto-cancel"],
      jobs: { gate: "manual", after: "created" },
      pipeline: "manual",
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }
});

// workflow:auto_cancel:on_job_failure: all — https://docs.gitlab.com/ci/yaml/#workflowauto_cancelon_job_failure ;
// Ci::Processable after_transition to failed (not for allowed failures nor failures to be retried).
describe("auto-cancel on job failure (docs: workflow:auto_cancel:on_job_failure)", () => {
  const pipeline = `
workflow: {auto_cancel: {on_job_failure: all}}
stages: [test, deploy]
unit: {stage: test, script: x}
lint: {stage: test, script: x, allow_failure: true}
flaky: {stage: test, script: x, retry: 1}
e2e: {stage: test, script: x}
deploy: {stage: deploy, script: x}
`;
  const table: Scenario[] = [
    {
      name: "a failure cancels the running jobs",
      yaml: pipeline,
      steps: ["run e2e", "fail unit"],
      jobs: { unit: "failed", e2e: "canceling", lint: "canceled", deploy: "canceled" },
    },
    {
      name: "an allowed failure cancels nothing",
      yaml: pipeline,
      steps: ["fail lint"],
      jobs: { lint: "failed", unit: "pending", e2e: "pending" },
    },
    {
      name: "a failure that will be retried cancels nothing",
      yaml: pipeline,
      steps: ["fail flaky"],
      jobs: { flaky: "pending", unit: "pending" },
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }
});
