/**
 * The Kubernetes executor's prepare and cleanup on a real cluster, in a namespace of its own:
 * the pod it creates (name, labels, resources within the runner's maximum), what it refuses
 * before creating anything, what fails fast (an unschedulable pod), the registry credentials
 * Secret, service warnings, a hard abort of a step, and the removal of pods a crashed runner left.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import type { JobPayload } from "@conveyor/protocol";
import { buildShellScript, ExecutorError, resolveJobVariables } from "@conveyor/runner";
import { testPayload } from "@conveyor/runner/testing";
import { KubernetesExecutor } from "./executor.js";
import type { KubernetesExecutorOptions } from "./options.js";
import { LABELS, labelValue } from "./pod-spec.js";
import { SessionRegistry } from "./registry.js";
import type { KubernetesSession } from "./session.js";
import {
  clusterAvailable,
  createTestNamespace,
  labelledObjects,
  type TestNamespace,
  waitUntilGone,
} from "./testing/cluster.js";

const BUSYBOX = "local/busybox:latest";

if (clusterAvailable("Kubernetes executor: prepare and cleanup")) {
  let root: string;
  let namespace: TestNamespace;
  const registry = new SessionRegistry();
  let jobs = (Math.floor(Date.now() / 1000) % 100_000_000) + 500_000_000;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "conveyor-k8s-executor-"));
    namespace = await createTestNamespace("executor");
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
      removeStale: false,
      ...options,
    });

  async function prepare(
    payload: JobPayload,
    options: KubernetesExecutorOptions = {},
    extra: { slot?: number; logs?: string[] } = {},
  ): Promise<KubernetesSession> {
    return (await executorOf(options).prepare({
      payload,
      hostBuildsDir: join(root, `builds-${payload.id}`, String(extra.slot ?? 0)),
      log: (line) => extra.logs?.push(line),
      signal: new AbortController().signal,
    })) as KubernetesSession;
  }

  const readPod = (name: string): Promise<V1Pod> =>
    namespace.core.readNamespacedPod({ name, namespace: namespace.name });

  describe("Kubernetes executor: prepare and cleanup", { timeout: 300_000 }, () => {
    it("names and labels the pod after the job and applies allowed resource overrides", async () => {
      const payload = testPayload({
        id: ++jobs,
        variables: [
          { key: "KUBERNETES_CPU_LIMIT", value: "750m", public: true },
          { key: "KUBERNETES_MEMORY_REQUEST", value: "64Mi", public: true },
          { key: "KUBERNETES_HELPER_MEMORY_LIMIT", value: "96Mi", public: true },
        ],
      });
      const logs: string[] = [];
      const session = await prepare(
        payload,
        {
          runnerId: "Rig-Runner-1",
          build: {
            cpuLimit: "500m",
            cpuLimitOverwriteMaxAllowed: "1",
            memoryRequest: "32Mi",
            memoryRequestOverwriteMaxAllowed: "128Mi",
          },
          helper: { memoryLimit: "64Mi", memoryLimitOverwriteMaxAllowed: "128Mi" },
        },
        { slot: 3, logs },
      );
      try {
        assert.match(session.podName, /^runner-rig-runn-project-7-concurrent-3-[0-9a-f]{8}$/);
        const pod = await readPod(session.podName);
        const labels = pod.metadata!.labels!;
        assert.equal(labels[LABELS.jobId], String(payload.id));
        assert.equal(labels[LABELS.projectId], "7");
        assert.equal(labels[LABELS.pipelineId], "1");
        assert.equal(labels[LABELS.runner], "Rig-Runner-1");
        assert.equal(labels[LABELS.ownerHost], labelValue(hostname()));
        const build = pod.spec!.containers.find((c) => c.name === "build")!;
        // The API server sets a request equal to the limit when only the limit is given.
        assert.equal(build.resources?.limits?.cpu, "750m");
        assert.equal(build.resources?.requests?.memory, "64Mi");
        assert.equal(build.resources?.limits?.memory, undefined);
        const helper = pod.spec!.containers.find((c) => c.name === "helper")!;
        assert.equal(helper.resources?.limits?.memory, "96Mi");
        assert.equal(helper.resources?.limits?.cpu, undefined);
        assert.equal(session.shell, "sh");
        assert.ok(logs.includes(`Using Kubernetes namespace: ${namespace.name}`), logs.join("\n"));
      } finally {
        await session.cleanup();
      }
      assert.deepEqual(await waitUntilGone(namespace.core, namespace.name, payload.id), {
        pods: [],
        secrets: [],
      });
    });

    it("refuses an override above the runner's maximum before it creates anything", async () => {
      const payload = testPayload({
        id: ++jobs,
        variables: [{ key: "KUBERNETES_CPU_LIMIT", value: "2", public: true }],
      });
      await assert.rejects(
        prepare(payload, { build: { cpuLimit: "500m", cpuLimitOverwriteMaxAllowed: "1" } }),
        (error: unknown) =>
          error instanceof ExecutorError &&
          /KUBERNETES_CPU_LIMIT "2" is higher than the maximum the runner allows, "1" \(cpu_limit_overwrite_max_allowed\)/.test(
            error.message,
          ),
      );
      assert.deepEqual(await labelledObjects(namespace.core, namespace.name, payload.id), {
        pods: [],
        secrets: [],
      });
    });

    it("fails fast when the pod cannot be scheduled", async () => {
      const payload = testPayload({ id: ++jobs });
      await assert.rejects(
        prepare(payload, { nodeSelector: { "conveyor.dev/no-such-node": "true" } }),
        (error: unknown) =>
          error instanceof ExecutorError && /cannot be scheduled: .*node/i.test(error.message),
      );
      assert.deepEqual(await waitUntilGone(namespace.core, namespace.name, payload.id), {
        pods: [],
        secrets: [],
      });
    });

    it("keeps registry credentials in a Secret the pod names, removed with the pod", async () => {
      const payload = testPayload({ id: ++jobs });
      payload.credentials = [
        {
          type: "registry",
          url: "registry.example.com",
          username: "ci",
          password: "registry-password-123",
        },
      ];
      const session = await prepare(payload);
      try {
        const pod = await readPod(session.podName);
        const secretName = `${session.podName}-registry`;
        assert.deepEqual(
          pod.spec!.imagePullSecrets?.map((ref) => ref.name),
          [secretName],
        );
        const secret = await namespace.core.readNamespacedSecret({
          name: secretName,
          namespace: namespace.name,
        });
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        const config = JSON.parse(
          Buffer.from(secret.data![".dockerconfigjson"]!, "base64").toString("utf8"),
        ) as { auths: Record<string, { username: string; password: string }> };
        assert.equal(config.auths["registry.example.com"]?.password, "registry-password-123");
      } finally {
        await session.cleanup();
        await session.cleanup();
      }
      assert.deepEqual(await waitUntilGone(namespace.core, namespace.name, payload.id), {
        pods: [],
        secrets: [],
      });
    });

    it("warns with the logs of a service that exits, and goes on", async () => {
      const payload = testPayload({ id: ++jobs });
      payload.services = [
        {
          name: BUSYBOX,
          alias: "broken",
          entrypoint: ["sh", "-c", "echo service-is-broken >&2; exit 3"],
          // With a health-check port the executor waits for the service and sees it end; the
          // pod's status may still say running for a moment after the container ended.
          variables: [{ key: "HEALTHCHECK_TCP_PORT", value: "8080" }],
        },
      ];
      const logs: string[] = [];
      const session = await prepare(payload, {}, { logs });
      await session.cleanup();
      const text = logs.join("\n");
      assert.match(text, /\*\*\* WARNING: Service svc-0 probably didn't start properly\./);
      assert.match(text, /exited with code 3/);
      assert.match(text, /^service-is-broken$/m);
    });

    it("stops a step at once on a hard abort", async () => {
      const payload = testPayload({ id: ++jobs });
      const session = await prepare(payload);
      try {
        const variables = resolveJobVariables({
          payload,
          executorName: "kubernetes",
          buildsDir: session.jobBuildsDir,
          projectDir: "/builds/group/project",
          concurrentId: 0,
          timeoutSeconds: 3600,
          runner: { version: "test", arch: "linux/amd64" },
        });
        const script = (commands: string[]) => buildShellScript({ variables, commands });
        const cancel = new AbortController();
        const kill = new AbortController();
        const output: Buffer[] = [];
        const step = session.runStep({
          name: "step_script",
          script: script(["echo hard-abort-started", "sleep 1000"]),
          timeoutMs: 60_000,
          signal: cancel.signal,
          killSignal: kill.signal,
          output: (chunk) => output.push(Buffer.from(chunk)),
        });
        const until = Date.now() + 30_000;
        while (!Buffer.concat(output).toString().includes("hard-abort-started\n")) {
          assert.ok(Date.now() < until, "the step started");
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        kill.abort();
        cancel.abort();
        const outcome = await step;
        assert.deepEqual(outcome, { exitCode: null, timedOut: false, canceled: true });
        // The kill was sent without waiting: a later step sees the process gone.
        let left = "";
        for (let i = 0; i < 40; i++) {
          const chunks: Buffer[] = [];
          await session.runStep({
            name: "step_script",
            script: script(["ps -o args | grep -c '^sleep 1000' || true"]),
            timeoutMs: 60_000,
            signal: new AbortController().signal,
            output: (chunk) => chunks.push(Buffer.from(chunk)),
          });
          left = Buffer.concat(chunks).toString().trim().split("\n").pop()!;
          if (left === "0") break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(left, "0");
      } finally {
        await session.cleanup();
      }
    });

    it("removes pods a crashed runner left, on the first prepare of an executor", async () => {
      // A process that is gone, and one that is alive, as owners of labelled pods.
      const dead = spawn("true");
      await new Promise((resolve) => dead.once("exit", resolve));
      const alive = spawn("sleep", ["60"]);
      try {
        const leftover = (suffix: string, pid: number): V1Pod => ({
          metadata: {
            name: `runner-stale-project-7-concurrent-0-${suffix}`,
            labels: {
              [LABELS.managed]: "true",
              [LABELS.runner]: "stale-runner",
              [LABELS.jobId]: String(jobs + 1),
              [LABELS.session]: suffix,
              [LABELS.ownerHost]: labelValue(hostname()),
              [LABELS.ownerPid]: String(pid),
            },
          },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [
              {
                name: "build",
                image: BUSYBOX,
                imagePullPolicy: "Never",
                command: ["sleep", "3600"],
              },
            ],
          },
        });
        for (const [suffix, pid] of [
          ["deadowner", dead.pid!],
          ["liveowner", alive.pid!],
        ] as const) {
          await namespace.core.createNamespacedPod({
            namespace: namespace.name,
            body: leftover(suffix, pid),
          });
        }
        const payload = testPayload({ id: ++jobs });
        const session = await prepare(payload, { runnerId: "stale-runner", removeStale: true });
        await session.cleanup();
        const until = Date.now() + 60_000;
        let names: string[] = [];
        for (;;) {
          names = (
            await namespace.core.listNamespacedPod({
              namespace: namespace.name,
              labelSelector: `${LABELS.runner}=stale-runner`,
            })
          ).items
            .filter((pod) => !pod.metadata?.deletionTimestamp)
            .map((pod) => pod.metadata!.name!);
          if (!names.some((name) => name.endsWith("deadowner")) || Date.now() > until) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        assert.deepEqual(
          names.filter((name) => name.startsWith("runner-stale-project-")),
          ["runner-stale-project-7-concurrent-0-liveowner"],
        );
      } finally {
        alive.kill();
      }
    });
  });
}
