// Nothing outlives a job: prepare failing halfway, cancel during prepare, cleanup during a step,
// the registry's cleanupAll (SIGINT), and removeStaleResources for an interrupted process.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { hostname } from "node:os";
import type Docker from "dockerode";
import { ExecutorError } from "@conveyor/runner";
import { LABELS } from "./convert.js";
import { EngineApi } from "./engine-api.js";
import { removeStaleResources } from "./stale.js";
import { connectTestEngine, labelledResources, testPayload } from "./testing/engine.js";
import { DockerHarness, runStep } from "./testing/harness.js";
import { ensureTestImages, TEST_BUSYBOX_IMAGE, TEST_HTTPD_IMAGE } from "./testing/images.js";

describe("DockerExecutor cleanup", () => {
  let docker: Docker;
  let api: EngineApi;
  let harness: DockerHarness;
  const jobIds: number[] = [];

  before(async () => {
    docker = await connectTestEngine();
    api = new EngineApi(docker);
    await ensureTestImages(docker);
    harness = new DockerHarness(docker);
  });

  after(async () => {
    await harness?.close();
    for (const id of jobIds) {
      assert.deepEqual(await harness.leftovers(id), { containers: [], networks: [] }, `job ${id}`);
    }
  });

  test("prepare failing after the network and a service exist removes them", async () => {
    const payload = testPayload({
      image: { name: "conveyor-test/missing-job-image:1", pull_policy: ["never"] },
      services: [{ name: TEST_HTTPD_IMAGE, alias: "web" }],
    });
    jobIds.push(payload.id);
    const logs: string[] = [];
    await assert.rejects(harness.prepare(payload, {}, { logs }), ExecutorError);
    // It got as far as starting the service before the job image failed.
    assert.ok(logs.includes(`Starting service ${TEST_HTTPD_IMAGE} ...`), logs.join("\n"));
    assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
    assert.equal(harness.registry.size, 0);
  });

  test(
    "cancel while waiting for a service ends prepare promptly and removes everything",
    { timeout: 30_000 },
    async () => {
      const payload = testPayload({
        image: { name: TEST_BUSYBOX_IMAGE },
        services: [{ name: TEST_HTTPD_IMAGE, alias: "never", command: ["sleep", "300"] }],
      });
      jobIds.push(payload.id);
      const controller = new AbortController();
      const logs: string[] = [];
      const prepared = harness.prepare(
        payload,
        { waitForServicesTimeoutMs: 120_000 },
        { signal: controller.signal, logs },
      );
      while (!logs.some((line) => line.startsWith("Waiting for services"))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      controller.abort();
      await assert.rejects(prepared, /canceled/);
      assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
    },
  );

  test(
    "cleanup while a step runs ends the step and removes the job's resources",
    { timeout: 30_000 },
    async () => {
      const payload = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
      jobIds.push(payload.id);
      const { session } = await harness.prepare(payload);
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const step = runStep(session, "echo up; sleep 300", {
        onOutput: (text) => text.includes("up") && started(),
      });
      await running;
      await session.cleanup();
      const outcome = await step;
      assert.notEqual(outcome.exitCode, 0);
      assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
    },
  );

  test("cleanupAll removes every live session's resources (what a SIGINT handler calls)", async () => {
    const first = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
    const second = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      services: [{ name: TEST_HTTPD_IMAGE }],
    });
    jobIds.push(first.id, second.id);
    await harness.prepare(first);
    await harness.prepare(second);
    assert.equal(harness.registry.size, 2);
    assert.equal((await harness.leftovers(second.id)).containers.length, 2);
    await harness.registry.cleanupAll();
    assert.equal(harness.registry.size, 0);
    assert.deepEqual(await harness.leftovers(first.id), { containers: [], networks: [] });
    assert.deepEqual(await harness.leftovers(second.id), { containers: [], networks: [] });
  });

  test(
    "cleanupOnSignals: a process interrupted with SIGTERM removes its job's resources",
    {
      timeout: 60_000,
    },
    async () => {
      const payload = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
      jobIds.push(payload.id);
      const child = spawn(
        process.execPath,
        [...process.execArgv, "--input-type=module", "-e", CHILD],
        {
          env: {
            ...process.env,
            CONVEYOR_TEST_INDEX: new URL("./index.js", import.meta.url).href,
            CONVEYOR_TEST_PAYLOAD: JSON.stringify(payload),
            CONVEYOR_TEST_BUILDS: harness.builds(),
            CONVEYOR_TEST_IMAGE: TEST_BUSYBOX_IMAGE,
          },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once("exit", (code, signal) => resolve(signal ?? code)),
      );
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("prepared")) resolve();
        });
        child.once("exit", () => reject(new Error(`child exited before it prepared: ${out}`)));
      });
      assert.ok((await harness.leftovers(payload.id)).containers.length > 0);
      child.kill("SIGTERM");
      assert.equal(await exited, "SIGTERM");
      assert.deepEqual(await harness.leftovers(payload.id), { containers: [], networks: [] });
    },
  );

  test("removeStaleResources removes what a dead process left and keeps what live ones own", async () => {
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const host = hostname();
    const labels = (owner: Record<string, string>) => ({
      [LABELS.managed]: "true",
      [LABELS.jobId]: "stale-test",
      ...owner,
    });
    const make = async (name: string, owner: Record<string, string>) => {
      const id = await api.createContainer(`conveyor-stale-test-${name}-${process.pid}`, {
        Image: TEST_BUSYBOX_IMAGE,
        Cmd: ["true"],
        Labels: labels(owner),
      });
      return id;
    };
    const dead = await make("dead", {
      [LABELS.ownerHost]: host,
      [LABELS.ownerPid]: String(deadPid),
    });
    const alive = await make("alive", {
      [LABELS.ownerHost]: host,
      [LABELS.ownerPid]: String(process.ppid),
    });
    const foreign = await make("foreign", {
      [LABELS.ownerHost]: `not-${host}`,
      [LABELS.ownerPid]: "1",
    });
    const deadNetwork = await api.createNetwork({
      Name: `conveyor-stale-test-network-${process.pid}`,
      Labels: labels({ [LABELS.ownerHost]: host, [LABELS.ownerPid]: String(deadPid) }),
    });
    try {
      const live = testPayload({ image: { name: TEST_BUSYBOX_IMAGE } });
      jobIds.push(live.id);
      const { session } = await harness.prepare(live);

      const removed = await removeStaleResources(docker, undefined, harness.registry);
      assert.ok(removed.containers.includes(dead));
      assert.ok(removed.networks.includes(deadNetwork));
      assert.ok(!removed.containers.includes(alive));
      assert.ok(!removed.containers.includes(foreign));
      assert.equal(await api.inspectContainer(dead), null);
      assert.notEqual(await api.inspectContainer(alive), null);
      const stillLive = await labelledResources(docker, { sessionId: session.sessionId });
      assert.equal(stillLive.containers.length, 1);
      assert.equal(stillLive.networks.length, 1);

      // With an age limit, resources of other hosts older than it go too.
      const aged = await removeStaleResources(docker, 0, harness.registry);
      assert.ok(aged.containers.includes(foreign));
      assert.ok(!aged.containers.includes(alive));
      await session.cleanup();
    } finally {
      await Promise.all([dead, alive, foreign].map((id) => api.removeContainer(id)));
      await api.removeNetwork(deadNetwork);
    }
  });
});

/** A process that prepares one job, registers the signal cleanup, and waits to be killed. */
const CHILD = `
const { DockerExecutor, cleanupOnSignals } = await import(process.env.CONVEYOR_TEST_INDEX);
cleanupOnSignals();
const executor = new DockerExecutor({ defaultImage: process.env.CONVEYOR_TEST_IMAGE });
await executor.prepare({
  payload: JSON.parse(process.env.CONVEYOR_TEST_PAYLOAD),
  hostBuildsDir: process.env.CONVEYOR_TEST_BUILDS,
  log: () => {},
  signal: new AbortController().signal,
});
console.log("prepared");
setInterval(() => {}, 1000);
`;
