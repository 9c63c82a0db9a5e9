/**
 * runJob end to end over the Kubernetes executor on a real cluster: a real git repository checked
 * out on this host and copied into the pod, images from the rig (local/busybox, sh and no bash),
 * in-memory artifact and cache stores, a namespace of its own. Also measures the per-job pod
 * overhead (job start → first line of the user script in the trace, and prepare time) and
 * reports it as test diagnostics.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobPayload, JobVariable } from "@conveyor/protocol";
import { type JobRunOutcome, runJob, type RunJobOptions } from "@conveyor/runner";
import {
  commitFiles,
  createRepository,
  MemoryArtifactStore,
  MemoryCacheStore,
  testPayload,
  type TestPayloadOptions,
} from "@conveyor/runner/testing";
import { KubernetesExecutor } from "./executor.js";
import type { KubernetesExecutorOptions } from "./options.js";
import { SessionRegistry } from "./registry.js";
import {
  clusterAvailable,
  createTestNamespace,
  labelledObjects,
  type TestNamespace,
  waitUntilGone,
} from "./testing/cluster.js";

const BUSYBOX = "local/busybox:latest";

if (clusterAvailable("Kubernetes executor: runJob end to end")) {
  let root: string;
  let repo: string;
  let head: string;
  let namespace: TestNamespace;
  const registry = new SessionRegistry();
  // Job ids unique per run of the file, so labels never match another run's leftovers.
  let jobs = Math.floor(Date.now() / 1000) % 100_000_000;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "conveyor-k8s-run-job-"));
    repo = join(root, "repo");
    await createRepository(repo, { "README.md": "hello from the repo\n" });
    head = await commitFiles(repo, { "second.txt": "second\n" });
    namespace = await createTestNamespace("run-job");
  });

  after(async () => {
    await registry.cleanupAll();
    await namespace?.remove();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const executorOf = (options: KubernetesExecutorOptions = {}) =>
    new KubernetesExecutor({
      kubeConfig: namespace.kubeConfig,
      namespace: namespace.name,
      defaultImage: BUSYBOX,
      pullPolicy: ["never"],
      registry,
      ...options,
    });

  interface Run {
    outcome: JobRunOutcome;
    log: string;
    payload: JobPayload;
    /** Milliseconds from the job's start to the first trace chunk holding `firstLine`. */
    firstLineMs?: number;
  }

  interface RunSetup extends TestPayloadOptions {
    tweak?: (payload: JobPayload) => void;
    options?: Partial<RunJobOptions>;
    executor?: KubernetesExecutor;
    /** Runs while the job runs; gets the log so far and the cancel control. */
    during?: (controls: { log(): string; cancel(): void }) => Promise<void>;
    /** Text whose first appearance in the trace is timed. */
    firstLine?: string;
  }

  async function runCase(setup: RunSetup = {}): Promise<Run> {
    const id = ++jobs;
    const payload = testPayload({ id, repoUrl: repo, sha: head, ...setup });
    setup.tweak?.(payload);
    const chunks: Buffer[] = [];
    const cancel = new AbortController();
    const started = Date.now();
    let firstLineMs: number | undefined;
    const running = runJob({
      payload,
      executor: setup.executor ?? executorOf(),
      trace: {
        write: (chunk) => {
          chunks.push(Buffer.from(chunk));
          if (setup.firstLine && firstLineMs === undefined) {
            const text = Buffer.concat(chunks).toString("utf8");
            if (new RegExp(`^${setup.firstLine}$`, "m").test(text)) {
              firstLineMs = Date.now() - started;
            }
          }
        },
      },
      artifacts: new MemoryArtifactStore(join(root, `artifacts-${id}`)),
      cache: new MemoryCacheStore(join(root, `cache-${id}`)),
      buildsRoot: join(root, `builds-${id}`),
      signal: cancel.signal,
      clock: () => Date.now(),
      runner: { version: "9.9.9", revision: "abc1234" },
      ...setup.options,
    });
    if (setup.during) {
      await setup.during({
        log: () => Buffer.concat(chunks).toString("utf8"),
        cancel: () => cancel.abort(),
      });
    }
    const outcome = await running;
    const run: Run = { outcome, log: Buffer.concat(chunks).toString("utf8"), payload };
    if (firstLineMs !== undefined) run.firstLineMs = firstLineMs;
    return run;
  }

  async function until(check: () => boolean, what: string, limitMs = 60_000): Promise<void> {
    const end = Date.now() + limitMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`${what} did not happen`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const variable = (key: string, value: string): JobVariable => ({ key, value, public: true });

  describe("Kubernetes executor: runJob", { timeout: 600_000 }, () => {
    it("runs the job in its image with the entrypoint override, on the checked-out sources", async () => {
      const run = await runCase({
        script: [
          "cat README.md",
          "cat /tmp/entrypoint-marker",
          'echo "builds=$CI_BUILDS_DIR dir=$(pwd)"',
          "echo job-wrote > from-job.txt",
        ],
        tweak: (payload) => {
          payload.image = {
            name: BUSYBOX,
            entrypoint: [
              "sh",
              "-c",
              'echo entrypoint-ran > /tmp/entrypoint-marker && exec "$@"',
              "entrypoint",
            ],
          };
        },
      });
      assert.equal(run.outcome.result.state, "success", run.log);
      assert.match(run.log, /Preparing the "kubernetes" executor/);
      assert.match(run.log, /Using Kubernetes executor with image local\/busybox:latest/);
      assert.match(run.log, /Waiting for pod conveyor-k8s-run-job-[0-9a-f]+\/runner-/);
      assert.match(run.log, /^hello from the repo$/m);
      assert.match(run.log, /^entrypoint-ran$/m);
      assert.match(run.log, /^builds=\/builds dir=\/builds\/group\/project$/m);
      const left = await waitUntilGone(namespace.core, namespace.name, run.payload.id);
      assert.deepEqual(left, { pods: [], secrets: [] });
    });

    it("reaches a service by its alias on the pod's localhost", async () => {
      const run = await runCase({
        script: ["wget -qO- http://web:8080/", "wget -qO- http://local-busybox:8080/"],
        tweak: (payload) => {
          payload.services = [
            {
              name: BUSYBOX,
              alias: "web",
              entrypoint: [
                "sh",
                "-c",
                "mkdir -p /www && echo service-body-ok > /www/index.html && exec httpd -f -p 8080 -h /www",
              ],
              variables: [{ key: "HEALTHCHECK_TCP_PORT", value: "8080" }],
            },
          ];
        },
      });
      assert.equal(run.outcome.result.state, "success", run.log);
      assert.match(run.log, /Waiting for services to be up and running \(timeout 30 seconds\)/);
      assert.doesNotMatch(run.log, /probably didn't start properly/);
      assert.equal(run.log.match(/^service-body-ok$/gm)?.length, 2, run.log);
    });

    it("uploads artifacts made in the pod, which a later job's pod receives", async () => {
      const artifacts = new MemoryArtifactStore(join(root, "shared-artifacts"));
      const first = await runCase({
        script: ["mkdir -p out", "echo built-in-the-pod > out/result.txt"],
        options: { artifacts },
        tweak: (payload) => {
          payload.artifacts = [
            {
              name: "archive",
              paths: ["out/"],
              when: "on_success",
              artifact_type: "archive",
              artifact_format: "zip",
            },
          ];
        },
      });
      assert.equal(first.outcome.result.state, "success", first.log);
      assert.equal(artifacts.uploads.length, 1, first.log);
      assert.equal(artifacts.uploads[0]!.jobId, first.payload.id);
      const second = await runCase({
        script: ["cat out/result.txt"],
        options: { artifacts },
        tweak: (payload) => {
          payload.dependencies = [
            {
              id: first.payload.id,
              name: "build",
              token: "glcbt-64_DependencyJobToken42",
              artifacts_file: { filename: "artifacts.zip", size: 1 },
            },
          ];
        },
      });
      assert.equal(second.outcome.result.state, "success", second.log);
      assert.match(second.log, /^built-in-the-pod$/m);
    });

    it("saves a cache directory from the pod and restores it into the next job's pod", async () => {
      const cache = new MemoryCacheStore(join(root, "shared-cache"));
      const withCache = (payload: JobPayload) => {
        payload.cache = [
          { key: "deps", paths: ["vendor/"], policy: "pull-push", when: "on_success" },
        ];
      };
      const first = await runCase({
        script: ["mkdir -p vendor", "echo cached-in-the-pod > vendor/lib.txt"],
        tweak: withCache,
        options: { cache },
      });
      assert.equal(first.outcome.result.state, "success", first.log);
      assert.ok(cache.entries.has("deps"), first.log);
      const second = await runCase({
        script: ["cat vendor/lib.txt"],
        tweak: withCache,
        options: { cache },
      });
      assert.equal(second.outcome.result.state, "success", second.log);
      assert.match(second.log, /^cached-in-the-pod$/m);
    });

    it("stops a script at RUNNER_SCRIPT_TIMEOUT, runs after_script, and leaves no pod", async () => {
      const run = await runCase({
        script: ["echo script-started", "sleep 1000"],
        afterScript: ["echo after-script-ran"],
        variables: [variable("RUNNER_SCRIPT_TIMEOUT", "3s")],
      });
      assert.equal(run.outcome.result.state, "failed", run.log);
      assert.equal(run.outcome.result.failure_reason, "job_execution_timeout", run.log);
      assert.match(run.log, /^script-started$/m);
      assert.match(run.log, /^after-script-ran$/m);
      const left = await waitUntilGone(namespace.core, namespace.name, run.payload.id);
      assert.deepEqual(left, { pods: [], secrets: [] });
    });

    it("stops a canceled job and leaves no pod", async () => {
      let podsWhileRunning: string[] = [];
      const run = await runCase({
        script: ["echo cancel-me-started", "sleep 1000"],
        during: async ({ log, cancel }) => {
          await until(() => /^cancel-me-started$/m.test(log()), "the script's start");
          podsWhileRunning = (await labelledObjects(namespace.core, namespace.name, jobs)).pods;
          cancel();
        },
      });
      assert.equal(run.outcome.result.canceled, true, run.log);
      assert.match(run.log, /WARNING: script canceled externally/);
      assert.equal(podsWhileRunning.length, 1, "the job ran in one pod");
      const left = await waitUntilGone(namespace.core, namespace.name, run.payload.id);
      assert.deepEqual(left, { pods: [], secrets: [] });
    });

    it("fails fast, naming the container and the reason, when the image does not exist", async () => {
      const run = await runCase({
        script: ["echo never-runs"],
        tweak: (payload) => {
          payload.image = { name: "local/does-not-exist:latest" };
        },
      });
      assert.equal(run.outcome.result.state, "failed", run.log);
      assert.equal(run.outcome.result.failure_reason, "runner_system_failure", run.log);
      assert.match(
        run.log,
        /container "build" \(image local\/does-not-exist:latest\) cannot start: ErrImageNeverPull/,
      );
      assert.doesNotMatch(run.log, /^never-runs$/m);
      const left = await waitUntilGone(namespace.core, namespace.name, run.payload.id);
      assert.deepEqual(left, { pods: [], secrets: [] });
    });

    it("measures the per-job pod overhead (reported as diagnostics)", async (t) => {
      const firstLine: number[] = [];
      const total: number[] = [];
      const stages = new Map<string, number[]>();
      for (let i = 0; i < 5; i++) {
        const run = await runCase({
          script: ["echo first-user-line"],
          firstLine: "first-user-line",
        });
        assert.equal(run.outcome.result.state, "success", run.log);
        assert.ok(run.firstLineMs !== undefined, run.log);
        firstLine.push(run.firstLineMs);
        total.push(run.outcome.durationMs);
        for (const { stage, durationMs } of run.outcome.stages) {
          stages.set(stage, [...(stages.get(stage) ?? []), durationMs]);
        }
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const report = (what: string, values: number[]) =>
        t.diagnostic(`${what}: median ${median(values)} ms of [${values.join(", ")}]`);
      report("job start → first user line", firstLine);
      report("whole job", total);
      for (const [stage, values] of stages) report(stage, values);
    });
  });
}
