import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planYaml } from "../testing/plan-yaml.js";
import { jobSettings } from "./job-settings.js";

// https://docs.gitlab.com/ci/yaml/#timeout , #interruptible , #resource_group , #dependencies , #retry
describe("job settings read from the planned job", () => {
  it("reads each keyword, `default:` included", async () => {
    const { plan } = await planYaml(`
default: {interruptible: true, timeout: 2 hours}
stages: [a, b]
one: {stage: a, script: x}
two:
  stage: b
  script: x
  interruptible: false
  timeout: 45m
  retry: {max: 2, when: script_failure}
  resource_group: prod
  dependencies: [one]
later: {stage: b, script: x, when: delayed, start_in: 5 minutes}
`);
    const settings = Object.fromEntries(plan.jobs.map((job) => [job.name, jobSettings(job)]));
    assert.deepEqual(settings.one, { timeoutSeconds: 7200, retry: {}, interruptible: true });
    assert.deepEqual(settings.two, {
      timeoutSeconds: 2700,
      retry: { max: 2, when: ["script_failure"] },
      interruptible: false,
      resourceGroup: "prod",
      dependencies: ["one"],
    });
    assert.equal(settings.later?.startInSeconds, 300);
  });

  it("falls back to the default timeout when none is given or it does not parse", async () => {
    const { plan } = await planYaml(`plain: {script: x}\n`);
    const job = plan.jobs[0]!;
    assert.equal(jobSettings(job).timeoutSeconds, 3600);
    assert.equal(jobSettings(job, { defaultTimeoutSeconds: 900 }).timeoutSeconds, 900);
    const odd = { ...job, definition: { ...job.definition, timeout: "whenever" } };
    assert.equal(jobSettings(odd).timeoutSeconds, 3600);
  });
});
