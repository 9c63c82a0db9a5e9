/**
 * The executors the `conveyor` command offers, shell and docker, built the same way for
 * `conveyor run` and `conveyor runner run`. The Docker executor is loaded only when asked for:
 * the Docker client is a large module tree.
 */
import type { DockerExecutorOptions } from "@conveyor/executor-docker";
import { ShellExecutor } from "@conveyor/executor-shell";
import type { Executor } from "@conveyor/runner";

export type ExecutorName = "shell" | "docker";

export interface ExecutorChoice {
  name: ExecutorName;
  /** Image for jobs without `image:` (docker). */
  image?: string;
  /** The shell executor's shell; default bash when on PATH, else sh. */
  shell?: "bash" | "sh";
  /** More Docker settings (a runner's `[runners.docker]`). */
  docker?: Omit<DockerExecutorOptions, "docker" | "registry" | "defaultImage">;
}

export async function makeExecutor(choice: ExecutorChoice): Promise<Executor> {
  if (choice.name === "shell") {
    return new ShellExecutor(choice.shell ? { shell: choice.shell } : {});
  }
  const { DockerExecutor } = await import("@conveyor/executor-docker");
  return new DockerExecutor({
    ...choice.docker,
    ...(choice.image ? { defaultImage: choice.image } : {}),
  });
}
