import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { started } from "./testing/harness.js";

// Which jobs' artifacts a job downloads: app/models/ci/build_dependencies.rb (`local`);
// https://docs.gitlab.com/ci/yaml/#dependencies , https://docs.gitlab.com/ci/yaml/#needsartifacts
const yaml = `
stages: [build, test, deploy]
compile: {stage: build, script: x}
docs: {stage: build, script: x}
pack: {stage: build, script: x, parallel: 2}
unit: {stage: test, script: x}
only-compile: {stage: test, script: x, dependencies: [compile]}
parallel-dep: {stage: test, script: x, dependencies: [pack]}
none: {stage: test, script: x, dependencies: []}
dag: {stage: test, script: x, needs: [compile, {job: docs, artifacts: false}]}
dag-empty: {stage: test, script: x, needs: []}
dag-narrowed: {stage: test, script: x, needs: [compile, docs], dependencies: [docs]}
deploy: {stage: deploy, script: x}
`;

describe("artifact sources (Ci::BuildDependencies)", () => {
  const table: [job: string, sources: string[]][] = [
    ["compile", []],
    ["unit", ["compile", "docs", "pack 1/2", "pack 2/2"]],
    ["only-compile", ["compile"]],
    ["parallel-dep", ["pack 1/2", "pack 2/2"]],
    ["none", []],
    ["dag", ["compile"]],
    ["dag-empty", []],
    ["dag-narrowed", ["docs"]],
    [
      "deploy",
      [
        "compile",
        "docs",
        "pack 1/2",
        "pack 2/2",
        "unit",
        "only-compile",
        "parallel-dep",
        "none",
        "dag",
        "dag-empty",
        "dag-narrowed",
      ],
    ],
  ];
  for (const [job, sources] of table) {
    it(`${job} ← [${sources.join(", ")}]`, async () => {
      const h = await started(yaml);
      assert.deepEqual(
        h.run.artifactSources(h.id(job)).map((source) => source.name),
        sources,
      );
    });
  }

  it("gives the current attempt of each source, with its status", async () => {
    const h = await started(`
stages: [build, test]
compile: {stage: build, script: x, retry: 1}
unit: {stage: test, script: x}
`);
    const unitId = h.id("unit");
    h.fail("compile");
    h.succeed("compile");
    assert.deepEqual(h.run.artifactSources(unitId), [
      { id: h.id("compile"), name: "compile", status: "success" },
    ]);
    assert.deepEqual(h.run.artifactSources(9999), []);
  });
});
