// The Docker executor on the real engine: images, entrypoints, shells, steps, mounts, users.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import type Docker from "dockerode";
import { ExecutorError } from "@conveyor/runner";
import { connectTestEngine, testPayload } from "./testing/engine.js";
import { DockerHarness, runStep, type Prepared } from "./testing/harness.js";
import {
  ensureTestImages,
  TEST_BASH_IMAGE,
  TEST_BUSYBOX_IMAGE,
  TEST_ENTRYPOINT_IMAGE,
} from "./testing/images.js";

describe("DockerExecutor", { concurrency: true }, () => {
  let docker: Docker;
  let harness: DockerHarness;
  let busybox: Prepared;
  /** CapEff of an unprivileged job container. */
  let plainCaps: bigint;
  const jobIds: number[] = [];

  before(async () => {
    docker = await connectTestEngine();
    await ensureTestImages(docker);
    harness = new DockerHarness(docker);
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      variables: [
        { key: "PUBLIC_VAR", value: "visible", public: true },
        { key: "SECRET_VAR", value: "hidden", public: false, masked: true },
        { key: "FILE_VAR", value: "content", public: false, file: true },
      ],
    });
    jobIds.push(payload.id);
    busybox = await harness.prepare(payload);
    plainCaps = capabilities(
      (await runStep(busybox.session, "grep CapEff /proc/self/status")).output,
    );
  });

  after(async () => {
    await harness?.close();
    for (const id of jobIds) {
      assert.deepEqual(await harness.leftovers(id), { containers: [], networks: [] }, `job ${id}`);
    }
  });

  describe("steps in one prepared job", { concurrency: false }, () => {
    test("prepare logs the image, maps the builds dir and detects sh in a busybox image", async () => {
      assert.equal(busybox.session.shell, "sh");
      assert.equal(busybox.session.jobBuildsDir, "/builds");
      assert.equal(busybox.session.hostBuildsDir, busybox.hostBuildsDir);
      assert.ok(
        busybox.logs.includes(`Using Docker executor with image ${TEST_BUSYBOX_IMAGE} ...`),
      );
      assert.ok(
        busybox.logs.includes(
          'Using locally found image version due to "if-not-present" pull policy',
        ),
      );
    });

    test("steps return the script's exit code and stream stdout and stderr", async () => {
      const ok = await runStep(busybox.session, "echo to-stdout; echo to-stderr >&2");
      assert.equal(ok.exitCode, 0);
      assert.match(ok.output, /to-stdout\n/);
      assert.match(ok.output, /to-stderr\n/);
      const failed = await runStep(busybox.session, "echo before; exit 3; echo after");
      assert.deepEqual([failed.exitCode, failed.timedOut, failed.canceled], [3, false, false]);
      assert.equal(failed.output, "before\n");
      const setE = await runStep(busybox.session, "set -e\nfalse\necho unreachable");
      assert.equal(setE.exitCode, 1);
      assert.equal(setE.output, "");
    });

    test("a script reading stdin gets end-of-file, not the rest of the script", async () => {
      const result = await runStep(busybox.session, "cat\nread line || echo eof\necho done");
      assert.equal(result.exitCode, 0);
      assert.equal(result.output, "eof\ndone\n");
    });

    test("files outside /builds survive from one step to the next", async () => {
      await runStep(busybox.session, "echo kept > /tmp/between-steps");
      const second = await runStep(busybox.session, "cat /tmp/between-steps");
      assert.equal(second.output, "kept\n");
    });

    test("the host builds dir is /builds in the container, both ways", async () => {
      writeFileSync(`${busybox.hostBuildsDir}/from-host.txt`, "host says hi\n");
      const result = await runStep(
        busybox.session,
        "cat /builds/from-host.txt && echo container says hi > /builds/from-container.txt",
      );
      assert.equal(result.output, "host says hi\n");
      assert.equal(
        readFileSync(`${busybox.hostBuildsDir}/from-container.txt`, "utf8"),
        "container says hi\n",
      );
    });

    test("job variables are the container's environment, file variables excepted", async () => {
      const result = await runStep(
        busybox.session,
        'echo "$PUBLIC_VAR/$SECRET_VAR/${FILE_VAR:-unset}"',
      );
      assert.equal(result.output, "visible/hidden/unset\n");
    });

    test("a step that runs too long is killed and reported as timed out; the next step runs", async () => {
      const slow = await runStep(busybox.session, "echo started; sleep 300; echo finished", {
        timeoutMs: 500,
      });
      assert.deepEqual([slow.exitCode, slow.timedOut, slow.canceled], [null, true, false]);
      assert.equal(slow.output, "started\n");
      const next = await runStep(busybox.session, "echo next");
      assert.deepEqual([next.exitCode, next.output], [0, "next\n"]);
    });

    test("cancel stops a running step at once and reports it canceled", async () => {
      const controller = new AbortController();
      const result = await runStep(busybox.session, "echo running; sleep 300", {
        signal: controller.signal,
        onOutput: (text) => {
          if (text.includes("running")) controller.abort();
        },
      });
      assert.deepEqual([result.exitCode, result.timedOut, result.canceled], [null, false, true]);
      const early = await runStep(busybox.session, "echo never", { signal: AbortSignal.abort() });
      assert.deepEqual([early.canceled, early.output], [true, ""]);
    });
  });

  test("bash is detected in an image that has it, and runs the steps", async () => {
    const payload = testPayload({ image: { name: TEST_BASH_IMAGE } });
    jobIds.push(payload.id);
    const { session } = await harness.prepare(payload);
    assert.equal(session.shell, "bash");
    const result = await runStep(
      session,
      '[[ -n "$BASH_VERSION" ]] && echo "bash ${BASH_VERSINFO[0]}"',
    );
    assert.match(result.output, /^bash [0-9]+\n$/);
    await session.cleanup();
  });

  test("an entrypoint that does not run its command fails prepare clearly, and leaves nothing", async () => {
    const payload = testPayload({ image: { name: TEST_ENTRYPOINT_IMAGE } });
    jobIds.push(payload.id);
    await assert.rejects(
      harness.prepare(payload),
      (error: Error) =>
        error instanceof ExecutorError &&
        /did not start a shell/.test(error.message) &&
        /entrypoint-ran/.test(error.message) &&
        /image:entrypoint: \[""\]/.test(error.message),
    );
    assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
  });

  test('image:entrypoint [""] clears the image entrypoint; a custom one runs before each step', async () => {
    const cleared = testPayload({ image: { name: TEST_ENTRYPOINT_IMAGE, entrypoint: [""] } });
    const custom = testPayload({
      image: {
        name: TEST_BUSYBOX_IMAGE,
        entrypoint: ["/bin/sh", "-c", 'echo custom-entrypoint; exec "$@"', "entry"],
      },
    });
    jobIds.push(cleared.id, custom.id);
    const first = await harness.prepare(cleared);
    assert.equal((await runStep(first.session, "echo plain")).output, "plain\n");
    await first.session.cleanup();
    const second = await harness.prepare(custom);
    const result = await runStep(second.session, "echo step");
    assert.equal(result.output, "custom-entrypoint\nstep\n");
    await second.session.cleanup();
  });

  test("image:docker:user sets the user; the executor's user option wins", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE, executor_opts: { docker: { user: "65534:65534" } } },
    });
    const overridden = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE, executor_opts: { docker: { user: "65534" } } },
    });
    jobIds.push(payload.id, overridden.id);
    const asNobody = await harness.prepare(payload);
    assert.equal((await runStep(asNobody.session, "id -u; id -g")).output, "65534\n65534\n");
    await asNobody.session.cleanup();
    const asOption = await harness.prepare(overridden, { user: "1234" });
    assert.equal((await runStep(asOption.session, "id -u")).output, "1234\n");
    await asOption.session.cleanup();
  });

  test("unknown executor_opts fail prepare before anything is created", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE, executor_opts: { docker: { cpus: "2" } as never } },
    });
    jobIds.push(payload.id);
    await assert.rejects(harness.prepare(payload), /Unsupported "image" options \[cpus\]/);
  });

  test("volumes: read-only binds and anonymous volumes", async () => {
    const data = harness.builds();
    writeFileSync(`${data}/input.txt`, "mounted\n");
    const payload = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
    jobIds.push(payload.id);
    const { session } = await harness.prepare(payload, {
      volumes: [`${data}:/data:ro`, "/scratch"],
    });
    const result = await runStep(
      session,
      "cat /data/input.txt; touch /data/x 2>/dev/null || echo read-only; " +
        "touch /scratch/y && echo scratch-ok",
    );
    assert.equal(result.output, "mounted\nread-only\nscratch-ok\n");
    await session.cleanup();
  });

  test("privileged reaches the engine: more capabilities, or the host's refusal", async () => {
    // Where the host itself lacks capabilities (as in this project's sandboxed CI), the engine
    // refuses to start any privileged container; an unprivileged one starts fine. Either way the
    // flag made it to the engine.
    const payload = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
    jobIds.push(payload.id);
    let prepared: Prepared;
    try {
      prepared = await harness.prepare(payload, { privileged: true });
    } catch (error) {
      assert.ok(error instanceof ExecutorError);
      assert.match(error.message, /did not start: .*(caps|capabilit|operation not permitted)/i);
      assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
      return;
    }
    const privileged = capabilities(
      (await runStep(prepared.session, "grep CapEff /proc/self/status")).output,
    );
    assert.ok(privileged > plainCaps, `${privileged} vs ${plainCaps}`);
    await prepared.session.cleanup();
  });

  test("cleanup is idempotent, never throws, and later steps report a system error", async () => {
    const payload = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
    jobIds.push(payload.id);
    const { session } = await harness.prepare(payload);
    assert.ok((await harness.leftovers(payload.id)).containers.length > 0);
    await Promise.all([session.cleanup(), session.cleanup()]);
    await session.cleanup();
    assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
    const late = await runStep(session, "echo too late");
    assert.equal(late.exitCode, null);
    assert.match(late.systemError ?? "", /cleaned up/);
  });
});

function capabilities(output: string): bigint {
  return BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(output)![1]!}`);
}
