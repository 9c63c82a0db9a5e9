/**
 * `conveyor run --executor kubernetes` end to end: the real command in a child process (its own
 * process group, signalled as a terminal's Ctrl-C signals it), real git repositories, a real
 * cluster (KUBECONFIG; skipped without one, failed when CONVEYOR_REQUIRE_K8S=1), a namespace of
 * this file's own. What must hold:
 * - the pods go to --kubernetes-namespace, else to the namespace of the kubeconfig's current
 *   context (kubectl's choice), and --image is the image of jobs without `image:`;
 * - a job over its `timeout:` (https://docs.gitlab.com/ci/yaml/#timeout) fails, and its pod goes;
 * - the first SIGINT cancels as GitLab's Cancel button does (the script stops, `after_script`
 *   runs with CI_JOB_STATUS=canceled, https://docs.gitlab.com/ci/variables/predefined_variables/),
 *   the second stops everything at once; either way no pod is left.
 * Pods are found by the executor's labels: managed, and the owner pid of the `conveyor` process.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { LABELS } from "@conveyor/executor-kubernetes";
import {
  clusterAvailable,
  createTestNamespace,
  type TestNamespace,
  testKubeConfig,
} from "@conveyor/executor-kubernetes/testing";
import { LiveRun, scriptLines as lines, stopLiveRuns } from "./testing/live-run.js";

const IMAGE = "local/busybox:latest";
/** Bounds on waits, so that a regression fails the test instead of hanging it. */
const WAIT_TIMEOUT_MS = 120_000;
const EXIT_TIMEOUT_MS = 60_000;

const cleanupDirs: string[] = [];

after(() => {
  stopLiveRuns();
  for (const dir of cleanupDirs) rmSync(dir, { recursive: true, force: true });
});

/** `conveyor run --executor kubernetes ARGS` on `ci`, with this file's bounds on waits. */
function liveRun(ci: string[], args: string[], env?: NodeJS.ProcessEnv): LiveRun {
  return new LiveRun(ci, ["--executor", "kubernetes", ...args], {
    ...(env ? { env } : {}),
    waitTimeoutMs: WAIT_TIMEOUT_MS,
    exitTimeoutMs: EXIT_TIMEOUT_MS,
  });
}

/** A later stage's job that must never start once the pipeline failed or was canceled. */
const LATER_JOB = [
  "later:",
  "  stage: test",
  `  image: ${IMAGE}`,
  ...lines("script", ["echo later-ran"]),
];

if (clusterAvailable("conveyor run --executor kubernetes")) {
  describe("conveyor run --executor kubernetes", { concurrency: true, timeout: 300_000 }, () => {
    let namespace: TestNamespace;

    before(async () => {
      namespace = await createTestNamespace("run");
    });

    after(async () => {
      await namespace?.remove();
    });

    /** The names of the pods `conveyor` process `pid` made in `ns`. */
    async function podsOf(pid: number, ns = namespace.name): Promise<string[]> {
      const pods = await namespace.core.listNamespacedPod({
        namespace: ns,
        labelSelector: `${LABELS.managed}=true,${LABELS.ownerPid}=${pid}`,
      });
      return pods.items.map((pod) => pod.metadata!.name!);
    }

    /** The pods left by `pid` once deletions had time to end (they take the grace period). */
    async function podsLeft(pid: number, ns = namespace.name): Promise<string[]> {
      const deadline = Date.now() + WAIT_TIMEOUT_MS;
      for (;;) {
        const left = await podsOf(pid, ns);
        if (left.length === 0 || Date.now() > deadline) return left;
        await sleep(250);
      }
    }

    test("the pods go to the kubeconfig context's namespace without the flag; --image fills in the image", async () => {
      // A kubeconfig like the test's, whose current context names this file's namespace.
      const source = testKubeConfig();
      const current = source.getCurrentContext();
      const withNamespace = testKubeConfig();
      withNamespace.loadFromOptions({
        clusters: source.getClusters(),
        users: source.getUsers(),
        contexts: source
          .getContexts()
          .map((context) =>
            context.name === current ? { ...context, namespace: namespace.name } : context,
          ),
        currentContext: current,
      });
      const scratch = mkdtempSync(join(tmpdir(), "conveyor-run-k8s-config-"));
      cleanupDirs.push(scratch);
      const kubeconfig = join(scratch, "kubeconfig");
      writeFileSync(kubeconfig, withNamespace.exportConfig(), { mode: 0o600 });

      const run = liveRun(
        ["no-image:", ...lines("script", ["test -x /bin/busybox && echo in-busybox"])],
        ["--image", IMAGE],
        { ...process.env, KUBECONFIG: kubeconfig },
      );
      assert.equal(await run.exitCode(), 0, run.output);
      assert.deepEqual(run.statuses(), { "no-image": "success" });
      assert.match(run.output, new RegExp(`Using Kubernetes executor with image ${IMAGE} `));
      assert.match(run.output, new RegExp(`Using Kubernetes namespace: ${namespace.name}\\n`));
      assert.match(run.output, /^no-image +\| in-busybox$/m);
      assert.deepEqual(await podsLeft(run.pid), []);
    });

    test("a job over its timeout: fails, the later stage is skipped, and no pod is left", async () => {
      const run = liveRun(
        [
          "stages: [build, test]",
          "slow:",
          "  stage: build",
          `  image: ${IMAGE}`,
          "  timeout: 10s",
          ...lines("script", ["echo script-started", "sleep 300", "echo script-went-on"]),
          ...LATER_JOB,
        ],
        ["--kubernetes-namespace", namespace.name],
      );
      await run.jobPrinted("slow", "script-started");
      assert.equal((await podsOf(run.pid)).length, 1, "the job runs in one pod");
      assert.equal(await run.exitCode(), 1, run.output);
      assert.match(run.output, /^slow +\| ERROR: Job failed: execution took longer than 10s/m);
      assert.doesNotMatch(run.output, /^slow +\| script-went-on$/m);
      assert.doesNotMatch(run.output, /^later +\| later-ran$/m);
      assert.equal(run.report().status, "failed");
      assert.deepEqual(run.statuses(), { slow: "failed", later: "skipped" });
      assert.deepEqual(await podsLeft(run.pid), []);
    });

    test("SIGINT cancels: the script stops, after_script runs, no pod is left", async () => {
      const run = liveRun(
        [
          "stages: [build, test]",
          "long:",
          "  stage: build",
          `  image: ${IMAGE}`,
          ...lines("script", ["echo script-started", "sleep 300", "echo script-went-on"]),
          ...lines("after_script", ['echo "after-script-ran status=$CI_JOB_STATUS"']),
          ...LATER_JOB,
        ],
        ["--kubernetes-namespace", namespace.name],
      );
      await run.jobPrinted("long", "script-started");
      assert.equal((await podsOf(run.pid)).length, 1, "the job runs in one pod");

      run.interrupt();
      assert.equal(await run.exitCode(), 1, run.output);
      assert.match(run.output, /Canceling the pipeline/);
      assert.match(run.output, /^long +\| after-script-ran status=canceled$/m);
      assert.doesNotMatch(run.output, /^long +\| script-went-on$/m);
      assert.doesNotMatch(run.output, /^later +\| later-ran$/m);
      assert.equal(run.report().status, "canceled");
      assert.deepEqual(run.statuses(), { long: "canceled", later: "canceled" });
      assert.deepEqual(await podsLeft(run.pid), []);
    });

    test("a second SIGINT stops after_script at once, and no pod is left", async () => {
      const run = liveRun(
        [
          "long:",
          `  image: ${IMAGE}`,
          ...lines("script", ["echo script-started", "sleep 300"]),
          ...lines("after_script", [
            "echo after-script-started",
            "sleep 300",
            "echo after-script-finished",
          ]),
        ],
        ["--kubernetes-namespace", namespace.name],
      );
      await run.jobPrinted("long", "script-started");
      run.interrupt();
      await run.jobPrinted("long", "after-script-started");

      run.interrupt();
      // after_script would sleep for five minutes: the exit bound proves it was stopped.
      assert.equal(await run.exitCode(), 1, run.output);
      assert.match(run.output, /Stopping every job now/);
      assert.doesNotMatch(run.output, /^long +\| after-script-finished$/m);
      assert.deepEqual(run.statuses(), { long: "canceled" });
      assert.deepEqual(await podsLeft(run.pid), []);
    });
  });
}
