import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkScenario, Harness, runScenario, type Scenario, started } from "./testing/harness.js";

// Stage order and `when`: https://docs.gitlab.com/ci/yaml/#stages , https://docs.gitlab.com/ci/yaml/#when ;
// app/services/ci/pipeline_processing/atomic_processing_service.rb, app/services/ci/process_build_service.rb.
const three = `
stages: [build, test, deploy]
build: {stage: build, script: x}
test: {stage: test, script: x}
deploy: {stage: deploy, script: x}
`;

describe("stage order (docs: stages)", () => {
  it("starts only the first stage, then each stage when the one before is complete", async () => {
    const h = await started(`
stages: [build, test]
b1: {stage: build, script: x}
b2: {stage: build, script: x}
t: {stage: test, script: x}
`);
    assert.deepEqual(Harness.enqueued(h.log), ["b1", "b2"]);
    assert.deepEqual(Harness.enqueued(h.succeed("b1")), []);
    assert.equal(h.status("t"), "created");
    assert.deepEqual(Harness.enqueued(h.succeed("b2")), ["t"]);
  });

  const table: Scenario[] = [
    {
      name: "all stages pass",
      yaml: three,
      steps: ["ok build", "ok test", "ok deploy"],
      jobs: { build: "success", test: "success", deploy: "success" },
      pipeline: "success",
      warnings: false,
    },
    {
      name: "a failure skips later stages",
      yaml: three,
      steps: ["ok build", "fail test"],
      jobs: { build: "success", test: "failed", deploy: "skipped" },
      pipeline: "failed",
    },
    {
      name: "a running job keeps the pipeline running",
      yaml: three,
      steps: ["run build"],
      jobs: { build: "running", test: "created" },
      pipeline: "running",
    },
    {
      name: "a queued job only: pending",
      yaml: three,
      jobs: { build: "pending" },
      pipeline: "pending",
    },
    {
      name: "jobs after a skipped stage still run (skipped counts as success in stage order)",
      yaml: `
stages: [a, b, c]
only-on-failure: {stage: a, script: x, when: on_failure}
first: {stage: a, script: x}
second: {stage: b, script: x}
`,
      steps: ["ok first"],
      jobs: { "only-on-failure": "skipped", first: "success", second: "pending" },
    },
    {
      name: "a failure in the same stage does not stop its siblings",
      yaml: `
stages: [a, b]
x1: {stage: a, script: x}
x2: {stage: a, script: x}
y: {stage: b, script: x}
`,
      steps: ["fail x1"],
      jobs: { x1: "failed", x2: "pending", y: "created" },
      pipeline: "running",
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }
});

describe("when (docs: when)", () => {
  const yaml = `
stages: [build, after]
build: {stage: build, script: x}
on-success: {stage: after, script: x}
on-failure: {stage: after, script: x, when: on_failure}
always: {stage: after, script: x, when: always}
`;
  const table: Scenario[] = [
    {
      name: "after success: on_success and always run, on_failure is skipped",
      yaml,
      steps: ["ok build"],
      jobs: { "on-success": "pending", "on-failure": "skipped", always: "pending" },
    },
    {
      name: "after failure: on_failure and always run, on_success is skipped",
      yaml,
      steps: ["fail build"],
      jobs: { "on-success": "skipped", "on-failure": "pending", always: "pending" },
    },
    {
      name: "the pipeline still fails when an on_failure job passes",
      yaml,
      steps: ["fail build", "ok on-failure always"],
      jobs: {
        build: "failed",
        "on-success": "skipped",
        "on-failure": "success",
        always: "success",
      },
      pipeline: "failed",
    },
    {
      name: "after a canceled job even always is skipped",
      yaml,
      steps: ["canceled build"],
      jobs: {
        build: "canceled",
        "on-success": "skipped",
        "on-failure": "skipped",
        always: "skipped",
      },
      pipeline: "canceled",
    },
    {
      name: "on_failure looks at all earlier stages, not just the one before",
      yaml: `
stages: [a, b, c]
broken: {stage: a, script: x, allow_failure: false}
later: {stage: b, script: x}
rescue: {stage: c, script: x, when: on_failure}
`,
      steps: ["fail broken"],
      jobs: { broken: "failed", later: "skipped", rescue: "pending" },
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }
});

describe("pipeline status (Gitlab::Ci::Status::Composite over the latest jobs)", () => {
  it("is created before the pipeline starts", async () => {
    const h = await started(three);
    assert.equal(h.run.status, "pending");
    const fresh = new Harness(h.plan);
    assert.equal(fresh.run.status, "created");
    assert.deepEqual(Harness.enqueued(fresh.apply({ type: "job-running", jobId: 100 })), []);
  });

  it("passes with warnings when an allowed failure happened", async () => {
    const scenario: Scenario = {
      name: "",
      yaml: `
stages: [a, b]
lint: {stage: a, script: x, allow_failure: true}
test: {stage: b, script: x}
`,
      steps: ["fail lint", "ok test"],
      jobs: { lint: "failed", test: "success" },
      pipeline: "success",
      warnings: true,
    };
    const h = await runScenario(scenario);
    checkScenario(h, scenario);
    assert.ok(h.run.isComplete);
  });

  it("summarises each stage", async () => {
    const h = await started(three);
    h.succeed("build");
    h.fail("test");
    assert.deepEqual(h.run.stages, [
      { name: "build", status: "success", warnings: false },
      { name: "test", status: "failed", warnings: false },
      { name: "deploy", status: "skipped", warnings: false },
    ]);
  });

  it("refuses a plan GitLab would not create", async () => {
    const h = await started(three);
    assert.throws(() => new Harness({ ...h.plan, created: false, reason: "filtered" }), /filtered/);
  });
});
