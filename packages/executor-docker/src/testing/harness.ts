/**
 * Shared set-up for the Docker executor's engine tests: an executor on the real engine with a
 * registry of its own, temp builds dirs, step runs that collect output, and the check that a job
 * left no labelled container or network behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import type { JobPayload } from "@conveyor/protocol";
import type { ExecutorSession, StepOutcome } from "@conveyor/runner";
import { DockerExecutor } from "../executor.js";
import type { DockerExecutorOptions } from "../options.js";
import { SessionRegistry } from "../registry.js";
import type { DockerSession } from "../session.js";
import { labelledResources } from "./engine.js";

export interface Prepared {
  session: DockerSession;
  logs: string[];
  hostBuildsDir: string;
}

export class DockerHarness {
  readonly registry = new SessionRegistry();
  readonly #dirs: string[] = [];

  constructor(readonly docker: Docker) {}

  executor(options: DockerExecutorOptions = {}): DockerExecutor {
    return new DockerExecutor({ docker: this.docker, registry: this.registry, ...options });
  }

  builds(): string {
    const dir = mkdtempSync(join(tmpdir(), "conveyor-docker-test-"));
    this.#dirs.push(dir);
    return dir;
  }

  /** Prepares a job; the logs array also fills when prepare throws (pass your own to read them). */
  async prepare(
    payload: JobPayload,
    options: DockerExecutorOptions = {},
    extra: { signal?: AbortSignal; logs?: string[] } = {},
  ): Promise<Prepared> {
    const logs = extra.logs ?? [];
    const hostBuildsDir = this.builds();
    const session = (await this.executor(options).prepare({
      payload,
      hostBuildsDir,
      log: (line) => logs.push(line),
      signal: extra.signal ?? new AbortController().signal,
    })) as DockerSession;
    return { session, logs, hostBuildsDir };
  }

  /** Containers and networks still labelled with this job id. */
  async leftovers(jobId: number): Promise<{ containers: string[]; networks: string[] }> {
    return labelledResources(this.docker, { jobId });
  }

  async close(): Promise<void> {
    await this.registry.cleanupAll();
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one step and returns its outcome with its output as text. */
export async function runStep(
  session: ExecutorSession,
  script: string,
  options: { timeoutMs?: number; signal?: AbortSignal; onOutput?: (text: string) => void } = {},
): Promise<StepOutcome & { output: string }> {
  const chunks: Buffer[] = [];
  const outcome = await session.runStep({
    name: "step_script",
    script,
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: options.signal ?? new AbortController().signal,
    output: (chunk) => {
      chunks.push(Buffer.from(chunk));
      options.onOutput?.(Buffer.concat(chunks).toString("utf8"));
    },
  });
  return { ...outcome, output: Buffer.concat(chunks).toString("utf8") };
}
