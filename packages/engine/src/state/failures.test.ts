import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkScenario, Harness, runScenario, type Scenario, started } from "./testing/harness.js";

// allow_failure and allow_failure:exit_codes: https://docs.gitlab.com/ci/yaml/#allow_failure ;
// a failure whose exit code is listed is an allowed failure (Ci::Build#drop_with_exit_code!),
// any other exit code fails the job for real.
describe("allow_failure (docs: allow_failure, allow_failure:exit_codes)", () => {
  const yaml = `
stages: [check, deploy]
lint: {stage: check, script: x, allow_failure: true}
audit: {stage: check, script: x, allow_failure: {exit_codes: [137, 255]}}
deploy: {stage: deploy, script: x}
`;
  const table: Scenario[] = [
    {
      name: "an allowed failure lets later stages run; the pipeline passes with warnings",
      yaml,
      steps: ["fail lint", "ok audit", "ok deploy"],
      jobs: { lint: "failed", deploy: "success" },
      pipeline: "success",
      warnings: true,
    },
    {
      name: "a listed exit code is an allowed failure",
      yaml,
      steps: ["ok lint", "fail audit exit=137"],
      jobs: { audit: "failed", deploy: "pending" },
      warnings: true,
    },
    {
      name: "another exit code fails the pipeline",
      yaml,
      steps: ["ok lint", "fail audit exit=1"],
      jobs: { audit: "failed", deploy: "skipped" },
      pipeline: "failed",
      warnings: false,
    },
    {
      name: "a failure without an exit code is not allowed by exit_codes",
      yaml,
      steps: ["ok lint", "fail audit reason=runner_system_failure"],
      jobs: { audit: "failed", deploy: "skipped" },
      pipeline: "failed",
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }

  it("records the failure reason, exit code and whether it was allowed", async () => {
    const h = await runScenario({ name: "", yaml, steps: ["fail audit exit=255"], jobs: {} });
    const audit = h.run.job("audit");
    assert.equal(audit?.failureReason, "script_failure");
    assert.equal(audit?.exitCode, 255);
    assert.equal(audit?.allowFailure, true);
    assert.equal(h.run.job("lint")?.allowFailure, true);
  });
});

// retry: https://docs.gitlab.com/ci/yaml/#retry ; a retry is a new job (new id) that goes back
// to pending; the old one is kept, marked retried (Ci::RetryJobService).
describe("retry (docs: retry, retry:when, retry:exit_codes)", () => {
  const yaml = `
stages: [test, deploy]
flaky: {stage: test, script: x, retry: {max: 2, when: [script_failure], exit_codes: [137]}}
deploy: {stage: deploy, script: x}
`;
  const table: Scenario[] = [
    {
      name: "a matching failure is retried",
      yaml,
      steps: ["fail flaky"],
      jobs: { flaky: "pending", deploy: "created" },
      pipeline: "pending",
    },
    {
      name: "the retry can pass, and the pipeline goes on",
      yaml,
      steps: ["fail flaky", "ok flaky"],
      jobs: { flaky: "success", deploy: "pending" },
    },
    {
      name: "after max retries the failure stands",
      yaml,
      steps: ["fail flaky", "fail flaky", "fail flaky"],
      jobs: { flaky: "failed", deploy: "skipped" },
      pipeline: "failed",
    },
    {
      name: "an exit code in exit_codes is retried whatever the reason",
      yaml,
      steps: ["fail flaky exit=137 reason=runner_system_failure"],
      jobs: { flaky: "pending" },
    },
    {
      name: "a reason outside when and an exit code outside exit_codes: no retry",
      yaml,
      steps: ["fail flaky exit=1 reason=api_failure"],
      jobs: { flaky: "failed", deploy: "skipped" },
    },
    {
      name: "a runner's timeout (job_execution_timeout) is retried by when: job_execution_timeout",
      yaml: `
slow: {script: x, timeout: 10 minutes, retry: {max: 1, when: job_execution_timeout}}
`,
      steps: ["fail slow reason=job_execution_timeout"],
      jobs: { slow: "pending" },
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }

  it("keeps the failed attempts as retried history with their own ids", async () => {
    const h = await started(yaml);
    const first = h.id("flaky");
    const decisions = h.fail("flaky");
    const second = h.id("flaky");
    assert.notEqual(second, first);
    assert.deepEqual(
      decisions.map((d) => (d.type === "enqueue" ? [d.job.id, d.job.attempt, d.job.status] : d)),
      [[second, 2, "pending"]],
    );
    h.fail("flaky");
    h.fail("flaky");
    assert.deepEqual(
      h.run.attempts.filter((a) => a.name === "flaky").map((a) => [a.attempt, a.status, a.retried]),
      [
        [1, "failed", true],
        [2, "failed", true],
        [3, "failed", false],
      ],
    );
    assert.equal(h.run.attempt(first)?.status, "failed");
  });

  it("a manual retry of a failed job brings back the jobs it skipped", async () => {
    const h = await started(`
stages: [test, deploy]
test: {stage: test, script: x}
deploy: {stage: deploy, script: x}
`);
    h.fail("test");
    assert.equal(h.status("deploy"), "skipped");
    assert.deepEqual(Harness.enqueued(h.apply({ type: "retry", jobName: "test" })), ["test"]);
    assert.equal(h.status("deploy"), "created");
    h.succeed("test");
    assert.equal(h.status("deploy"), "pending");
    assert.equal(h.run.status, "running");
  });

  it("a retry by the id of an old attempt does nothing", async () => {
    const h = await started(yaml);
    const first = h.id("flaky");
    h.fail("flaky");
    assert.deepEqual(h.apply({ type: "retry", jobId: first }), []);
  });
});

// timeout: https://docs.gitlab.com/ci/yaml/#timeout ; the project's default is 60 minutes.
describe("timeout (docs: timeout)", () => {
  it("gives each job its timeout in seconds for the runner", async () => {
    const h = await started(`
stages: [a]
short: {stage: a, script: x, timeout: 1h 30m}
words: {stage: a, script: x, timeout: 3 hours and 10 minutes}
plain: {stage: a, script: x}
`);
    assert.deepEqual(
      h.log.map((d) => (d.type === "enqueue" ? [d.job.name, d.job.timeoutSeconds] : d)),
      [
        ["short", 5400],
        ["words", 11_400],
        ["plain", 3600],
      ],
    );
  });

  it("uses the given project default", async () => {
    const h = await started(`plain: {script: x}\n`, { defaultTimeoutSeconds: 600 });
    assert.equal(h.run.job("plain")?.timeoutSeconds, 600);
  });

  it("a runner's timeout fails the job with job_execution_timeout", async () => {
    const h = await runScenario({
      name: "",
      yaml: `slow: {script: x, timeout: 10m}\n`,
      steps: ["fail slow reason=job_execution_timeout"],
      jobs: {},
    });
    assert.equal(h.status("slow"), "failed");
    assert.equal(h.run.job("slow")?.failureReason, "job_execution_timeout");
  });
});
