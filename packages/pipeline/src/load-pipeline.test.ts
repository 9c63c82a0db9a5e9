import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildEvent } from "./event-spec.js";
import {
  type LoadedPipeline,
  loadPipeline,
  planLoaded,
  planSettled,
  type SchemaCheck,
  settleSchema,
} from "./load-pipeline.js";
import { conformsToSchema } from "./schema/conforms.js";
import { memorySource } from "./testing/memory-source.js";

const VALID = "build:\n  script: make\ntest:\n  script: make test\n  needs: [build]\n";
// `timeout` must be a string or number (the schema), and the job has no script (GitLab's own
// check, which the schema makes too: reported once).
const INVALID = "build:\n  script: make\n  timeout: [1h]\nlonely:\n  stage: test\n";

async function load(text: string, schemaCheck?: SchemaCheck): Promise<LoadedPipeline> {
  const event = buildEvent({ branch: "main", files: [".gitlab-ci.yml"] });
  const source = memorySource({ local: { ".gitlab-ci.yml": text } });
  return loadPipeline(text, {
    file: ".gitlab-ci.yml",
    source,
    event,
    ...(schemaCheck ? { schemaCheck } : {}),
  });
}

const event = buildEvent({ branch: "main", files: [".gitlab-ci.yml"] });

/** A check made elsewhere: the same validator, answered later, counting its calls. */
function laterCheck(): { check: SchemaCheck; calls: number } {
  const counter = {
    calls: 0,
    check: async (config: unknown) => {
      counter.calls += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return conformsToSchema(config);
    },
  };
  return counter;
}

describe("a schema check made elsewhere (LoadOptions.schemaCheck)", () => {
  test("for a conforming file, nothing changes: the same diagnostics and the same plan", async () => {
    const direct = await load(VALID);
    const later = laterCheck();
    const loaded = await load(VALID, later.check);
    assert.equal(later.calls, 1);
    assert.ok(loaded.pendingSchema);
    assert.deepEqual(loaded.diagnostics, direct.diagnostics);
    assert.equal(await settleSchema(loaded), loaded);
    assert.deepEqual(await planSettled(loaded, event), planLoaded(direct, event));
  });

  test("for a file the schema refuses, settling adds its findings as loadPipeline would", async () => {
    const direct = await load(INVALID);
    assert.ok(direct.diagnostics.some((d) => d.message.includes("timeout")));
    const loaded = await load(INVALID, laterCheck().check);
    // Before settling: GitLab's own findings only.
    assert.ok(!loaded.diagnostics.some((d) => d.message.includes("timeout")));
    const settled = await settleSchema(loaded);
    assert.notEqual(settled, loaded);
    assert.deepEqual(settled.diagnostics, direct.diagnostics);
    const plan = await planSettled(loaded, event);
    assert.equal(plan.created, false);
    assert.deepEqual(plan, planLoaded(direct, event));
  });

  test("a check that could not be made is made on this thread", async () => {
    for (const text of [VALID, INVALID]) {
      const direct = await load(text);
      const loaded = await load(text, () => Promise.reject(new Error("no thread")));
      assert.deepEqual((await settleSchema(loaded)).diagnostics, direct.diagnostics);
      assert.deepEqual(await planSettled(loaded, event), planLoaded(direct, event));
    }
  });
});
