// The runner's executor contract (exit codes, output, variables, file variables, masking,
// timeouts and cancels with children, cleanup) against the Kubernetes executor on a real
// cluster, in local/busybox (sh, no bash), in a namespace of its own.
import { after } from "node:test";
import { executorContract } from "@conveyor/runner/testing";
import { KubernetesExecutor } from "./executor.js";
import { SessionRegistry } from "./registry.js";
import { clusterAvailable, createTestNamespace, type TestNamespace } from "./testing/cluster.js";

if (clusterAvailable("Kubernetes executor contract")) {
  let namespace: TestNamespace | undefined;
  after(async () => {
    await namespace?.remove();
  });
  executorContract("kubernetes (busybox image)", async () => {
    namespace = await createTestNamespace("contract");
    return new KubernetesExecutor({
      kubeConfig: namespace.kubeConfig,
      namespace: namespace.name,
      defaultImage: "local/busybox:latest",
      pullPolicy: ["never"],
      registry: new SessionRegistry(),
    });
  });
}
