import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkScenario, Harness, runScenario, type Scenario, started } from "./testing/harness.js";

// resource_group: https://docs.gitlab.com/ci/resource_groups/ , https://docs.gitlab.com/ci/yaml/#resource_group ;
// app/models/ci/processable.rb (enqueue → waiting_for_resource; the resource is released when
// the holder completes), app/models/ci/resource_group.rb.
const yaml = `
stages: [deploy]
deploy-a: {stage: deploy, script: x, resource_group: production}
deploy-b: {stage: deploy, script: x, resource_group: production}
deploy-c: {stage: deploy, script: x, resource_group: production}
other: {stage: deploy, script: x, resource_group: staging}
`;

describe("resource_group (docs: resource_group)", () => {
  it("runs one job of a group at a time; the others wait", async () => {
    const h = await started(yaml);
    assert.deepEqual(Harness.enqueued(h.log), ["deploy-a", "other"]);
    assert.deepEqual(h.statuses(), {
      "deploy-a": "pending",
      "deploy-b": "waiting_for_resource",
      "deploy-c": "waiting_for_resource",
      other: "pending",
    });
  });

  it("hands the group on in order as each holder completes", async () => {
    const h = await started(yaml);
    assert.deepEqual(Harness.enqueued(h.succeed("deploy-a")), ["deploy-b"]);
    assert.equal(h.status("deploy-c"), "waiting_for_resource");
    assert.deepEqual(Harness.enqueued(h.fail("deploy-b")), ["deploy-c"]);
  });

  const table: Scenario[] = [
    {
      name: "a holder being canceled keeps the group until its runner reports",
      yaml: `
stages: [deploy]
holder: {stage: deploy, script: x, resource_group: prod, interruptible: true}
next: {stage: deploy, script: x, resource_group: prod}
`,
      steps: ["run holder", "auto-cancel interruptible"],
      jobs: { holder: "canceling", next: "waiting_for_resource" },
    },
    {
      name: "…and releases it when the runner reports",
      yaml: `
stages: [deploy]
holder: {stage: deploy, script: x, resource_group: prod, interruptible: true}
next: {stage: deploy, script: x, resource_group: prod}
`,
      steps: ["run holder", "auto-cancel interruptible", "canceled holder"],
      jobs: { holder: "canceled", next: "pending" },
    },
    {
      name: "cancel does not hand the group to a job it cancels",
      yaml,
      steps: ["run deploy-a", "cancel", "canceled deploy-a"],
      jobs: { "deploy-a": "canceled", "deploy-b": "canceled", "deploy-c": "canceled" },
      pipeline: "canceled",
    },
    {
      name: "a waiting job that is canceled gives up its place",
      yaml: `
stages: [deploy]
first: {stage: deploy, script: x, resource_group: prod}
second: {stage: deploy, script: x, resource_group: prod, interruptible: true}
third: {stage: deploy, script: x, resource_group: prod}
`,
      steps: ["run first", "auto-cancel interruptible", "ok first"],
      jobs: { first: "success", second: "canceled", third: "pending" },
    },
    {
      name: "a retried job queues again for the group",
      yaml: `
stages: [deploy]
first: {stage: deploy, script: x, resource_group: prod, retry: 1}
second: {stage: deploy, script: x, resource_group: prod}
`,
      steps: ["fail first"],
      jobs: { first: "waiting_for_resource", second: "pending" },
    },
    {
      name: "the key is expanded with the job's variables",
      yaml: `
stages: [deploy]
variables: {TARGET: eu}
a: {stage: deploy, script: x, resource_group: deploy-$TARGET}
b: {stage: deploy, script: x, resource_group: deploy-eu}
c: {stage: deploy, script: x, resource_group: deploy-$TARGET, variables: {TARGET: us}}
`,
      jobs: { a: "pending", b: "waiting_for_resource", c: "pending" },
    },
  ];
  for (const scenario of table) {
    it(scenario.name, async () => checkScenario(await runScenario(scenario), scenario));
  }

  it("exposes the group on the job", async () => {
    const h = await started(yaml);
    assert.equal(h.run.job("deploy-b")?.resourceGroup, "production");
    assert.equal(h.run.job("other")?.resourceGroup, "staging");
  });

  it("takes the key from the given function", async () => {
    const h = await started(yaml, { resourceGroupKey: () => "everything" });
    assert.deepEqual(Harness.enqueued(h.log), ["deploy-a"]);
  });
});
