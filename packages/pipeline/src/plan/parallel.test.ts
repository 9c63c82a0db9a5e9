import assert from "node:assert/strict";
import { test } from "node:test";
import { expandParallel, matrixCombinations } from "./parallel.js";

// docs.gitlab.com/ci/yaml/#parallel: jobs are named `job_name 1/N` ... `job_name N/N`.
test("parallel: 3 names jobs `test 1/3` to `test 3/3`", () => {
  assert.deepEqual(
    expandParallel("test", 3).map((j) => j.name),
    ["test 1/3", "test 2/3", "test 3/3"],
  );
});

test("parallel: 1 or absent leaves the job alone", () => {
  assert.deepEqual(expandParallel("test", undefined), [{ name: "test" }]);
  assert.deepEqual(expandParallel("test", 1), [{ name: "test" }]);
});

// docs.gitlab.com/ci/yaml/#parallelmatrix: one job per combination, named with the values.
test("parallel:matrix names jobs by their values and multiplies arrays", () => {
  const jobs = expandParallel("deploy", {
    matrix: [
      { PROVIDER: "aws", STACK: ["monitoring", "app1"] },
      { PROVIDER: ["gcp", "vultr"], STACK: "data" },
    ],
  });
  assert.deepEqual(
    jobs.map((j) => j.name),
    [
      "deploy: [aws, monitoring]",
      "deploy: [aws, app1]",
      "deploy: [gcp, data]",
      "deploy: [vultr, data]",
    ],
  );
  assert.deepEqual(jobs[1]?.matrix, { PROVIDER: "aws", STACK: "app1" });
  assert.equal(jobs[3]?.nodeTotal, 4);
});

test("matrix numbers become strings", () => {
  assert.deepEqual(matrixCombinations([{ V: [1, 2] }]), [{ V: "1" }, { V: "2" }]);
});
