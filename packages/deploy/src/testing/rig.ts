/**
 * For tests against the Kubernetes rig (scripts/k8s, README "Kubernetes test rig"): they run
 * when KUBECONFIG names a kubeconfig. Without it they are reported skipped, or fail when
 * CONVEYOR_REQUIRE_K8S=1 (a run that must exercise the cluster). Each test gets its own
 * namespace, created with its `default` ServiceAccount ready and deleted afterwards.
 */
import { readFileSync } from "node:fs";
import { createKubeCluster } from "../cluster/kube-cluster.js";
import type { Cluster } from "../cluster/port.js";
import type { DeployTarget, Impersonation } from "../types.js";

export const K8S_SKIP_REASON =
  "set KUBECONFIG to a cluster (scripts/k8s/up prints one) to run the Kubernetes tests";

export function rigKubeconfig(): string {
  const path = process.env.KUBECONFIG;
  if (!path) throw new Error(K8S_SKIP_REASON);
  return readFileSync(path.split(":")[0] ?? path, "utf8");
}

export function rigTarget(namespace: string, impersonate?: Impersonation): DeployTarget {
  return {
    credentials: { kubeconfig: rigKubeconfig() },
    namespace,
    ...(impersonate ? { impersonate } : {}),
  };
}

let counter = 0;

export interface TestNamespace {
  name: string;
  cluster: Cluster;
  remove(): Promise<void>;
}

/** A fresh namespace `cvd-<prefix>-<pid>-<n>` with its default ServiceAccount. */
export async function testNamespace(prefix: string): Promise<TestNamespace> {
  counter += 1;
  const name = `cvd-${prefix}-${process.pid}-${counter}`.slice(0, 63);
  const cluster = createKubeCluster({ credentials: { kubeconfig: rigKubeconfig() } });
  await cluster.apply(
    { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    { fieldManager: "conveyor-tests" },
  );
  const deadline = Date.now() + 30_000;
  while (
    !(await cluster.get({
      apiVersion: "v1",
      kind: "ServiceAccount",
      namespace: name,
      name: "default",
    }))
  ) {
    if (Date.now() > deadline)
      throw new Error(`namespace ${name} got no default ServiceAccount in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    name,
    cluster,
    async remove() {
      try {
        await cluster.delete(
          { apiVersion: "v1", kind: "Namespace", name },
          { propagationPolicy: "Background" },
        );
      } finally {
        cluster.close();
      }
    },
  };
}
