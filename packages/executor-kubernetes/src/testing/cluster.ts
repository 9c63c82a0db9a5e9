/**
 * Test helpers for a real cluster (the Conveyor rig, scripts/k8s, or any cluster KUBECONFIG
 * names): whether the cluster tests run, a namespace per test with its default ServiceAccount,
 * and the executor's pods and Secrets still labelled with a job. Test code only.
 *
 * The tests run when KUBECONFIG is set. Without it they are reported skipped, or fail when
 * CONVEYOR_REQUIRE_K8S=1 (CI that must test Kubernetes), as packages/server's tests treat
 * CONVEYOR_REQUIRE_POSTGRES.
 */
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { LABELS } from "../pod-spec.js";

export const K8S_ENV = "KUBECONFIG";
export const REQUIRE_K8S_ENV = "CONVEYOR_REQUIRE_K8S";
export const SKIP_REASON = `set ${K8S_ENV} to a cluster (the test rig: KUBECONFIG=$(scripts/k8s/up))`;

/**
 * True when the cluster tests should run. Otherwise registers one test named `title` that is
 * skipped with the reason, or fails when CONVEYOR_REQUIRE_K8S=1, and returns false.
 */
export function clusterAvailable(title: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[K8S_ENV]) return true;
  if (env[REQUIRE_K8S_ENV] === "1") {
    test(title, () => {
      throw new Error(`${REQUIRE_K8S_ENV}=1 but ${SKIP_REASON}`);
    });
  } else {
    test(title, { skip: SKIP_REASON }, () => {});
  }
  return false;
}

export function testKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

export interface TestNamespace {
  name: string;
  core: CoreV1Api;
  kubeConfig: KubeConfig;
  /** Deletes the namespace (and everything in it); never throws. */
  remove(): Promise<void>;
}

/** A new namespace `conveyor-k8s-<tag>-<random>`, usable once its default ServiceAccount exists. */
export async function createTestNamespace(tag: string): Promise<TestNamespace> {
  const kubeConfig = testKubeConfig();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const name = `conveyor-k8s-${tag}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({
    body: { metadata: { name, labels: { "conveyor.dev/test": "true" } } },
  });
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await core.readNamespacedServiceAccount({ name: "default", namespace: name });
      break;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    name,
    core,
    kubeConfig,
    remove: async () => {
      await core
        .deleteNamespace({ name, gracePeriodSeconds: 0, propagationPolicy: "Background" })
        .catch(() => undefined);
    },
  };
}

/** Names of the pods and Secrets labelled with this job id in the namespace. */
export async function labelledObjects(
  core: CoreV1Api,
  namespace: string,
  jobId: number,
): Promise<{ pods: string[]; secrets: string[] }> {
  const labelSelector = `${LABELS.managed}=true,${LABELS.jobId}=${jobId}`;
  const pods = await core.listNamespacedPod({ namespace, labelSelector });
  const secrets = await core.listNamespacedSecret({ namespace, labelSelector });
  return {
    pods: pods.items.map((pod) => pod.metadata!.name!),
    secrets: secrets.items.map((secret) => secret.metadata!.name!),
  };
}

/** Waits until no pod or Secret carries the job's labels (deletion takes the grace period). */
export async function waitUntilGone(
  core: CoreV1Api,
  namespace: string,
  jobId: number,
  limitMs = 60_000,
): Promise<{ pods: string[]; secrets: string[] }> {
  const until = Date.now() + limitMs;
  for (;;) {
    const left = await labelledObjects(core, namespace, jobId);
    if ((left.pods.length === 0 && left.secrets.length === 0) || Date.now() > until) return left;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
