// Pull policies on the real engine. No registry is reachable here, so every pull fails: that is
// how `always` on an image the engine cannot fetch must fail, and how a fallback is exercised.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ExecutorError } from "@conveyor/runner";
import { connectTestEngine, testPayload } from "./testing/engine.js";
import { DockerHarness, runStep } from "./testing/harness.js";
import { ensureBusyboxImage, TEST_BUSYBOX_IMAGE } from "./testing/images.js";

const MISSING = "conveyor-test/not-built-anywhere:1.0";

describe("DockerExecutor pull policies", () => {
  let harness: DockerHarness;
  const jobIds: number[] = [];

  before(async () => {
    const docker = await connectTestEngine();
    await ensureBusyboxImage(docker);
    harness = new DockerHarness(docker);
  });

  after(async () => {
    await harness?.close();
    for (const id of jobIds) {
      assert.deepEqual(await harness.leftovers(id), { containers: [], networks: [] }, `job ${id}`);
    }
  });

  test("if-not-present (the default) uses the local image without pulling", async () => {
    const payload = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
    jobIds.push(payload.id);
    const { session, logs } = await harness.prepare(payload);
    assert.ok(!logs.some((line) => line.startsWith("Pulling docker image")), logs.join("\n"));
    assert.match(
      logs.join("\n"),
      /Using docker image sha256:[0-9a-f]{64} for conveyor-test\/busybox:latest \.\.\./,
    );
    assert.equal((await runStep(session, "echo ok")).output, "ok\n");
    await session.cleanup();
  });

  test("always pulls, and fails clearly when the registry cannot serve the image", async () => {
    const payload = testPayload({ image: { name: MISSING, pull_policy: ["always"] } });
    jobIds.push(payload.id);
    const logs: string[] = [];
    await assert.rejects(harness.prepare(payload, {}, { logs }), (error: Error) => {
      assert.ok(error instanceof ExecutorError);
      assert.match(
        error.message,
        new RegExp(`^failed to pull image "${MISSING}" with specified policies \\[always\\]: \\S`),
      );
      return true;
    });
    assert.ok(logs.includes(`Pulling docker image ${MISSING} ...`), logs.join("\n"));
    assert.ok(
      logs.some((line) => line.startsWith('WARNING: Failed to pull image with policy "always": ')),
    );
  });

  test("always even for a local image pulls; a second policy falls back to the local one", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE, pull_policy: ["always", "if-not-present"] },
    });
    jobIds.push(payload.id);
    const { session, logs } = await harness.prepare(payload);
    const text = logs.join("\n");
    assert.match(text, /Pulling docker image conveyor-test\/busybox:latest \.\.\./);
    assert.match(text, /WARNING: Failed to pull image with policy "always": /);
    assert.match(text, /Attempt #2: Trying "if-not-present" pull policy/);
    assert.match(text, /Using locally found image version due to "if-not-present" pull policy/);
    await session.cleanup();
  });

  test("never uses a local image and fails without pulling when there is none", async () => {
    const local = testPayload({ image: { name: TEST_BUSYBOX_IMAGE, pull_policy: ["never"] } });
    const missing = testPayload({ image: { name: MISSING, pull_policy: ["never"] } });
    jobIds.push(local.id, missing.id);
    const { session } = await harness.prepare(local);
    await session.cleanup();
    const logs: string[] = [];
    await assert.rejects(
      harness.prepare(missing, {}, { logs }),
      /failed to pull image "conveyor-test\/not-built-anywhere:1.0" with specified policies \[never\]: image "conveyor-test\/not-built-anywhere:1.0" is not present on the Docker engine/,
    );
    assert.ok(!logs.some((line) => line.startsWith("Pulling docker image")));
  });

  test("the executor's pull policy applies to images whose job names none", async () => {
    const payload = testPayload({ image: { name: MISSING } });
    jobIds.push(payload.id);
    await assert.rejects(
      harness.prepare(payload, { pullPolicy: ["never"] }),
      /with specified policies \[never\]/,
    );
  });
});
