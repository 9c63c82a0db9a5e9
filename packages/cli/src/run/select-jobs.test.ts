/** `conveyor run JOB...`: which part of the plan runs. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planYaml } from "@conveyor/engine/testing";
import { JobSelectionError, selectJobs } from "./select-jobs.js";

const YAML = `
stages: [build, test, deploy]
compile: { stage: build, script: x }
assets: { stage: build, script: x }
unit: { stage: test, script: x, needs: [compile], parallel: 2 }
lint: { stage: test, script: x }
deploy: { stage: deploy, script: x, needs: [unit, assets] }
`;

describe("selectJobs", () => {
  test("no names: the whole plan", async () => {
    const { plan } = await planYaml(YAML);
    assert.equal(selectJobs(plan, [], false), plan);
  });

  test("a name selects the job, or every instance of a parallel job by its key", async () => {
    const { plan } = await planYaml(YAML);
    const selected = selectJobs(plan, ["unit", "lint"], false);
    assert.deepEqual(
      selected.jobs.map((job) => job.name),
      ["unit 1/2", "unit 2/2", "lint"],
    );
    assert.deepEqual(selected.stages, ["test"]);
    assert.deepEqual(selected.jobs[0]?.needs, [], "needs on jobs left out are dropped");
    assert.deepEqual(
      selectJobs(plan, ["unit 2/2"], false).jobs.map((job) => job.name),
      ["unit 2/2"],
    );
  });

  test("--needs brings the needed jobs along, transitively", async () => {
    const { plan } = await planYaml(YAML);
    const selected = selectJobs(plan, ["deploy"], true);
    assert.deepEqual(
      selected.jobs.map((job) => job.name),
      ["compile", "assets", "unit 1/2", "unit 2/2", "deploy"],
    );
    assert.deepEqual(selected.jobs.at(-1)?.needs, ["unit 1/2", "unit 2/2", "assets"]);
  });

  test("unknown names are an error naming them", async () => {
    const { plan } = await planYaml(YAML);
    assert.throws(
      () => selectJobs(plan, ["unit", "e2e", "smoke"], false),
      (error: unknown) => {
        assert.ok(error instanceof JobSelectionError);
        assert.match(error.message, /no job 'e2e', 'smoke'/);
        return true;
      },
    );
  });
});
