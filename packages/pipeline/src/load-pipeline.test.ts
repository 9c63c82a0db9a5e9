import assert from "node:assert/strict";
import { test } from "node:test";
import { buildEvent } from "./event-spec.js";
import { type LoadedPipeline, loadPipeline, planLoaded } from "./load-pipeline.js";
import { memorySource } from "./testing/memory-source.js";

const event = buildEvent({ branch: "main", files: [".gitlab-ci.yml"] });

async function load(text: string): Promise<LoadedPipeline> {
  const source = memorySource({ local: { ".gitlab-ci.yml": text } });
  return loadPipeline(text, { file: ".gitlab-ci.yml", source, event });
}

test("a conforming file loads without findings and is planned", async () => {
  const loaded = await load(
    "build:\n  script: make\ntest:\n  script: make test\n  needs: [build]\n",
  );
  assert.deepEqual(loaded.diagnostics, []);
  const plan = planLoaded(loaded, event);
  assert.equal(plan.created, true);
  assert.deepEqual(
    plan.jobs.map((job) => job.name),
    ["build", "test"],
  );
});

test("the schema's findings come first, and a finding GitLab's own checks also make is reported once", async () => {
  // `timeout` must be a string or number (the schema); `lonely` has no script, which both the
  // schema and GitLab's own job check find.
  const loaded = await load("build:\n  script: make\n  timeout: [1h]\nlonely:\n  stage: test\n");
  const messages = loaded.diagnostics.map((d) => d.message);
  assert.ok(messages[0]?.includes("timeout"), messages.join("\n"));
  const noScript = messages.filter((m) => m.includes("lonely") && m.includes("script"));
  assert.equal(noScript.length, 1, messages.join("\n"));
  const plan = planLoaded(loaded, event);
  assert.equal(plan.created, false);
  assert.deepEqual(
    plan.errors,
    loaded.diagnostics.filter((d) => d.severity === "error"),
  );
});
