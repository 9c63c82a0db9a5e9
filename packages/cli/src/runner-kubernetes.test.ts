/**
 * `conveyor runner register --executor kubernetes` and `conveyor runner run` taking a job from a
 * fake of the server side of the runner API (runner's testing/fake-coordinator) and running it in
 * a pod of a real cluster (KUBECONFIG; skipped without one unless CONVEYOR_REQUIRE_K8S=1), in a
 * namespace of its own.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readAgentConfig } from "@conveyor/runner";
import { FakeCoordinator, testPayload, waitFor } from "@conveyor/runner/testing";
import {
  clusterAvailable,
  createTestNamespace,
  type TestNamespace,
  waitUntilGone,
} from "@conveyor/executor-kubernetes/testing";
import { runnerCommand } from "./commands/runner.js";
import type { Io } from "./io.js";

function capture(cwd: string, env: Record<string, string>) {
  let err = "";
  const io: Io = {
    cwd,
    env,
    stdout: { write: () => undefined },
    stderr: { write: (text: string) => (err += text) },
  };
  return { io, stderr: () => err };
}

if (clusterAvailable("conveyor runner with the kubernetes executor")) {
  describe("conveyor runner with the kubernetes executor", { timeout: 180_000 }, () => {
    let fake: FakeCoordinator;
    let dir: string;
    let namespace: TestNamespace;

    before(async () => {
      fake = await FakeCoordinator.start();
      dir = await mkdtemp(join(tmpdir(), "conveyor-runner-k8s-"));
      namespace = await createTestNamespace("cli-runner");
    });
    after(async () => {
      await fake?.close();
      await namespace?.remove();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("registers a kubernetes runner and runs a job in a pod", async () => {
      const configFile = join(dir, "runner.toml");
      const env = { CONVEYOR_RUNNER_CONFIG: configFile, HOME: dir };
      const token = fake.addRunner("glrt-kubernetes-runner-0001");
      const register = capture(dir, env);
      const code = await runnerCommand(
        [
          "register",
          "--url",
          fake.url,
          "--token",
          token,
          "--name",
          "k8s-runner",
          "--executor",
          "kubernetes",
          "--kubernetes-image",
          "local/busybox:latest",
          "--kubernetes-namespace",
          namespace.name,
        ],
        register.io,
      );
      assert.equal(code, 0, register.stderr());
      const [entry] = (await readAgentConfig(configFile)).runners;
      assert.equal(entry!.executor, "kubernetes");
      assert.equal(entry!.kubernetes?.image, "local/busybox:latest");
      assert.equal(entry!.kubernetes?.namespace, namespace.name);
      assert.match(await readFile(configFile, "utf8"), /\[runners\.kubernetes\]/);

      const job = testPayload({
        id: 9101,
        token: "glcbt-cli-kubernetes-job-token",
        script: ['echo "ran in pod $(hostname)"'],
        variables: [{ key: "GIT_STRATEGY", value: "empty", public: true }],
      });
      fake.enqueue(job);
      const c = capture(dir, env);
      const running = runnerCommand(["run"], c.io);
      await waitFor(() => fake.finalUpdates(job.id).length === 1, 120_000);
      process.emit("SIGTERM");
      assert.equal(await running, 0);
      const trace = fake.jobs.get(job.id)!.trace.toString();
      assert.equal(fake.finalUpdates(job.id)[0]!.state, "success", trace);
      assert.match(trace, /Preparing the "kubernetes" executor/);
      assert.match(
        trace,
        new RegExp(`^ran in pod runner-${entry!.id}-project-7-concurrent-0-`, "m"),
      );
      assert.ok(!c.stderr().includes(token) && !trace.includes(token));
      assert.deepEqual(await waitUntilGone(namespace.core, namespace.name, job.id), {
        pods: [],
        secrets: [],
      });
    });
  });
}
