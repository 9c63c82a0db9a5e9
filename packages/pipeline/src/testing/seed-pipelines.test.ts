/**
 * The pipelines of the teams Conveyor is built for (../shared/design/seed-pipelines) lint and
 * plan as GitLab would: each kind of ref gets its own pipeline, and the JihuLab file as
 * published fails on its undeclared stage with GitLab's message.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { EventSpec } from "../event-spec.js";
import { loadText, planText } from "./plan-text.js";

const seeds = fileURLToPath(
  new URL("../../../../../shared/design/seed-pipelines/", import.meta.url),
);
const read = (path: string) => readFileSync(join(seeds, path), "utf8");

test("the seed pipelines are beside the repository", () => {
  assert.ok(existsSync(seeds), `missing ${seeds}`);
});

test("jihu-java-k8s as published is refused: stage build is not declared", async () => {
  const loaded = await loadText(read("jihu-java-k8s/.gitlab-ci.yml"));
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  assert.deepEqual(
    errors.map((d) => [d.message, d.line]),
    [
      [
        "docker-build job: chosen stage build does not exist; available stages are .pre, package, docker_build, deploy_k8s, .post",
        29,
      ],
    ],
  );
});

async function jobNames(file: string, spec: EventSpec): Promise<string[]> {
  const plan = await planText(read(file), spec);
  assert.deepEqual(plan.errors, []);
  return plan.jobs.map((job) => job.name);
}

test("jihu-java-k8s fixed: packaging everywhere, build and deploy only on master", async () => {
  assert.deepEqual(await jobNames("jihu-java-k8s/.gitlab-ci.fixed.yml", { branch: "master" }), [
    "maven-package",
    "docker-build",
    "k8s-deploy",
  ]);
  assert.deepEqual(await jobNames("jihu-java-k8s/.gitlab-ci.fixed.yml", { branch: "dev" }), [
    "maven-package",
  ]);
});

test("vpgame-php: tests on every branch, test deploys from master and testing*, prod from tags", async () => {
  const file = "vpgame-php/.gitlab-ci.yml";
  assert.deepEqual(await jobNames(file, { branch: "feature/x" }), ["lint", "unittest"]);
  assert.deepEqual(await jobNames(file, { branch: "master" }), [
    "lint",
    "unittest",
    "build-test",
    "deploy-test",
  ]);
  assert.deepEqual(await jobNames(file, { branch: "testing-2" }), [
    "lint",
    "unittest",
    "build-test",
    "deploy-test",
  ]);
  assert.deepEqual(await jobNames(file, { tag: "v1.2.0" }), [
    "lint",
    "unittest",
    "build-prod",
    "deploy-prod",
  ]);
  const plan = await planText(read(file), { tag: "v1.2.0" });
  const deploy = plan.jobs.find((job) => job.name === "deploy-prod");
  assert.equal(deploy?.variables.REPLICAS, "3");
  assert.deepEqual(deploy?.definition.tags, ["pro-deploy"]);
});

test("shoppingapp: publish and deploy only on the default branch", async () => {
  const file = "shoppingapp/.gitlab-ci.yml";
  assert.deepEqual(await jobNames(file, { branch: "main" }), [
    "build",
    "test",
    "publish",
    "deploy",
  ]);
  assert.deepEqual(await jobNames(file, { branch: "dev" }), ["build", "test"]);
});
