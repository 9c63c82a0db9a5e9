/**
 * The executors the `conveyor` command offers, shell, docker and kubernetes, built the same way
 * for `conveyor run` and `conveyor runner run`. The Docker and Kubernetes executors are loaded
 * only when asked for: their API clients are large module trees.
 */
import type { DockerExecutorOptions } from "@conveyor/executor-docker";
import type { KubernetesExecutorOptions } from "@conveyor/executor-kubernetes";
import { ShellExecutor } from "@conveyor/executor-shell";
import type { Executor } from "@conveyor/runner";

export type ExecutorName = "shell" | "docker" | "kubernetes";

export const EXECUTOR_NAMES: readonly ExecutorName[] = ["shell", "docker", "kubernetes"];

export interface ExecutorChoice {
  name: ExecutorName;
  /** Image for jobs without `image:` (docker, kubernetes). */
  image?: string;
  /** The shell executor's shell; default bash when on PATH, else sh. */
  shell?: "bash" | "sh";
  /** More Docker settings (a runner's `[runners.docker]`). */
  docker?: Omit<DockerExecutorOptions, "docker" | "registry" | "defaultImage">;
  /**
   * More Kubernetes settings (a runner's `[runners.kubernetes]`); the cluster is the one
   * KUBECONFIG (or ~/.kube/config, or the pod's service account) names.
   */
  kubernetes?: Omit<KubernetesExecutorOptions, "kubeConfig" | "registry" | "defaultImage">;
}

export async function makeExecutor(choice: ExecutorChoice): Promise<Executor> {
  if (choice.name === "shell") {
    return new ShellExecutor(choice.shell ? { shell: choice.shell } : {});
  }
  if (choice.name === "kubernetes") {
    const { KubernetesExecutor } = await import("@conveyor/executor-kubernetes");
    return new KubernetesExecutor({
      ...choice.kubernetes,
      ...(choice.image ? { defaultImage: choice.image } : {}),
    });
  }
  const { DockerExecutor } = await import("@conveyor/executor-docker");
  return new DockerExecutor({
    ...choice.docker,
    ...(choice.image ? { defaultImage: choice.image } : {}),
  });
}
