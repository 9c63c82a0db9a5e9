import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pipelineStatusText } from "./statuses.js";
import { checkScenario, Harness, runScenario, type Scenario, started } from "./testing/harness.js";

// Manual jobs: https://docs.gitlab.com/ci/jobs/job_control/#create-a-job-that-must-be-run-manually
// (allow_failure defaults to true for when: manual; allow_failure: false makes it blocking).
// A manual job with allow_failure counts as "ignored" in the composite status
// (Ci::HasStatus::IGNORED_STATUSES); a job that needs it is skipped until it is played, then
// processed again (Ci::ResetSkippedJobsService, gitlab-org/gitlab#31264).
const nonBlocking = `
stages: [build, deploy, after]
build: {stage: build, script: x}
deploy: {stage: deploy, script: x, when: manual}
after: {stage: after, script: x}
`;
const blocking = `
stages: [build, deploy, after]
build: {stage: build, script: x}
deploy: {stage: deploy, script: x, when: manual, allow_failure: false}
after: {stage: after, script: x}
`;
const needsManual = (allowFailure: boolean) => `
stages: [build, deploy, verify]
build: {stage: build, script: x}
deploy: {stage: deploy, script: x, when: manual, allow_failure: ${allowFailure}}
verify: {stage: verify, script: x, needs: [deploy]}
`;

describe("manual jobs (docs: when: manual)", () => {
  const table: Scenario[] = [
    {
      name: "a non-blocking manual job waits for a play; later stages go on",
      yaml: nonBlocking,
      steps: ["ok build"],
      jobs: { deploy: "manual", after: "pending" },
    },
    {
      name: "a pipeline whose only unplayed job is non-blocking manual passes",
      yaml: nonBlocking,
      steps: ["ok build", "ok after"],
      jobs: { deploy: "manual", after: "success" },
      pipeline: "success",
      warnings: false,
    },
    {
      name: "a blocking manual job holds later stages in created and blocks the pipeline",
      yaml: blocking,
      steps: ["ok build"],
      jobs: { deploy: "manual", after: "created" },
      pipeline: "manual",
    },
    {
      name: "playing a blocking manual job lets the pipeline go on",
      yaml: blocking,
      steps: ["ok build", "play deploy", "ok deploy"],
      jobs: { deploy: "success", after: "pending" },
      pipeline: "running",
    },
    {
      name: "a manual job after a failed stage is skipped",
      yaml: blocking,
      steps: ["fail build"],
      jobs: { deploy: "skipped", after: "skipped" },
      pipeline: "failed",
    },
    {
      name: "a job that needs a non-blocking manual job is skipped until it is played",
      yaml: needsManual(true),
      steps: ["ok build"],
      jobs: { deploy: "manual", verify: "skipped" },
      pipeline: "success",
    },
    {
      name: "playing the manual job processes the skipped job again: it waits, then runs",
      yaml: needsManual(true),
      steps: ["ok build", "play deploy"],
      jobs: { deploy: "pending", verify: "created" },
      pipeline: "running",
    },
    {
      name: "…and runs once the manual job passed",
      yaml: needsManual(true),
      steps: ["ok build", "play deploy", "ok deploy"],
      jobs: { deploy: "success", verify: "pending" },
    },
    {
      name: "a job that needs a blocking manual job waits in created",
      yaml: needsManual(false),
      steps: ["ok build"],
      jobs: { deploy: "manual", verify: "created" },
      pipeline: "manual",
    },
    {
      name: "playing a job that is not manual does nothing",
      yaml: nonBlocking,
      steps: ["play build"],
      jobs: { build: "pending", deploy: "created" },
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }

  it("GitLab shows a manual pipeline as blocked", async () => {
    const h = await runScenario({ name: "", yaml: blocking, steps: ["ok build"], jobs: {} });
    assert.equal(pipelineStatusText(h.run.status, h.run.warnings), "blocked");
    assert.ok(h.run.isIdle);
    assert.ok(!h.run.isComplete);
  });

  it("play enqueues the manual job; playing it again after it ran retries it", async () => {
    const h = await runScenario({ name: "", yaml: nonBlocking, steps: ["ok build"], jobs: {} });
    const firstId = h.id("deploy");
    assert.deepEqual(Harness.enqueued(h.play("deploy")), ["deploy"]);
    assert.equal(h.id("deploy"), firstId);
    h.fail("deploy");
    const again = h.play("deploy");
    assert.deepEqual(Harness.enqueued(again), ["deploy"]);
    assert.notEqual(h.id("deploy"), firstId);
    assert.equal(h.run.attempt(firstId)?.retried, true);
  });
});

// Delayed jobs: https://docs.gitlab.com/ci/jobs/job_control/#run-a-job-after-a-delay ;
// `scheduled` until start_in has passed from when the job became processable (Ci::Build
// `schedule`, `options_scheduled_at`), then pending (Ci::BuildScheduleWorker, `enqueue_scheduled`).
describe("delayed jobs (docs: when: delayed, start_in)", () => {
  const delayed = `
stages: [build, rollout, after]
build: {stage: build, script: x}
rollout: {stage: rollout, script: x, when: delayed, start_in: 30 minutes}
after: {stage: after, script: x}
`;
  const minute = 60_000;

  it("schedules the job start_in after it became processable and asks to be woken then", async () => {
    const h = await started(delayed);
    h.now = 5 * minute;
    const decisions = h.succeed("build");
    assert.deepEqual(decisions, [{ type: "wake-at", at: 35 * minute }]);
    assert.equal(h.status("rollout"), "scheduled");
    assert.equal(h.run.job("rollout")?.scheduledAt, 35 * minute);
    assert.equal(h.run.nextWakeAt, 35 * minute);
    assert.equal(h.run.status, "scheduled");
    assert.equal(pipelineStatusText(h.run.status, false), "delayed");
  });

  it("stays scheduled until the time comes, then becomes pending; later stages wait for it", async () => {
    const h = await started(delayed);
    h.succeed("build");
    assert.deepEqual(h.advance(29 * minute), []);
    assert.equal(h.status("rollout"), "scheduled");
    assert.equal(h.status("after"), "created");
    assert.deepEqual(Harness.enqueued(h.advance(1 * minute)), ["rollout"]);
    assert.equal(h.run.job("rollout")?.queuedAt, 30 * minute);
    h.succeed("rollout");
    assert.equal(h.status("after"), "pending");
  });

  it("can be started early with play", async () => {
    const h = await started(delayed);
    h.succeed("build");
    assert.deepEqual(Harness.enqueued(h.play("rollout")), ["rollout"]);
    assert.deepEqual(h.advance(60 * minute), []);
  });

  it("parses start_in like GitLab (1 day)", async () => {
    const h = await started(`
later: {script: x, when: delayed, start_in: 1 day}
`);
    assert.deepEqual(h.log, [{ type: "wake-at", at: 86_400_000 }]);
  });

  it("is canceled with the pipeline", async () => {
    const h = await started(delayed);
    h.succeed("build");
    h.apply({ type: "cancel" });
    assert.equal(h.status("rollout"), "canceled");
    assert.equal(h.run.nextWakeAt, undefined);
    assert.deepEqual(h.advance(60 * minute), []);
  });
});
