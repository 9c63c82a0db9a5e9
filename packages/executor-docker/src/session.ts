/**
 * One job's Docker resources: the job container the steps run in, the service containers and the
 * job network. Everything it creates is recorded the moment the engine returns its id, and is also
 * found again by its session label, so cleanup removes it all even after a prepare that failed or
 * was interrupted halfway, a step that timed out, or a cancel. Cleanup is idempotent and never
 * throws.
 */
import type { ExecutorSession, StepOutcome, StepRequest } from "@conveyor/runner";
import { LABELS } from "./convert.js";
import type { EngineApi } from "./engine-api.js";
import { JOB_BUILDS_DIR } from "./options.js";
import type { Cleanable, SessionRegistry } from "./registry.js";
import { runScript } from "./step.js";

/** Bound for the whole cleanup, so an unresponsive engine cannot hold the runner forever. */
const CLEANUP_TIMEOUT_MS = 60_000;
const NETWORK_REMOVE_ATTEMPTS = 5;

export class DockerSession implements ExecutorSession, Cleanable {
  readonly jobBuildsDir = JOB_BUILDS_DIR;
  readonly hostBuildsDir: string;
  readonly sessionId: string;
  #shell: "bash" | "sh" = "sh";
  #buildContainer: string | undefined;
  readonly #containers = new Set<string>();
  readonly #networks = new Set<string>();
  #cleanup: Promise<void> | undefined;
  #stepRunning = false;

  constructor(
    private readonly api: EngineApi,
    private readonly registry: SessionRegistry,
    init: { sessionId: string; hostBuildsDir: string },
  ) {
    this.sessionId = init.sessionId;
    this.hostBuildsDir = init.hostBuildsDir;
    registry.add(this);
  }

  get shell(): "bash" | "sh" {
    return this.#shell;
  }

  /** Ids of the containers and networks this session created (for tests and diagnostics). */
  get resources(): { containers: string[]; networks: string[] } {
    return { containers: [...this.#containers], networks: [...this.#networks] };
  }

  get closed(): boolean {
    return this.#cleanup !== undefined;
  }

  trackContainer(id: string): void {
    this.#containers.add(id);
  }

  trackNetwork(id: string): void {
    this.#networks.add(id);
  }

  /** Called by prepare once the job container exists and its shell is known. */
  ready(buildContainer: string, shell: "bash" | "sh"): void {
    this.#buildContainer = buildContainer;
    this.#shell = shell;
  }

  async runStep(step: StepRequest): Promise<StepOutcome> {
    if (this.closed) {
      return {
        exitCode: null,
        timedOut: false,
        canceled: false,
        systemError: "the session was cleaned up",
      };
    }
    if (!this.#buildContainer) {
      return {
        exitCode: null,
        timedOut: false,
        canceled: false,
        systemError: "the session is not prepared",
      };
    }
    if (this.#stepRunning) {
      return {
        exitCode: null,
        timedOut: false,
        canceled: false,
        systemError: "another step is still running",
      };
    }
    this.#stepRunning = true;
    try {
      return await runScript(this.api, this.#buildContainer, {
        script: step.script,
        timeoutMs: step.timeoutMs,
        signal: step.signal,
        output: step.output,
      });
    } finally {
      this.#stepRunning = false;
    }
  }

  cleanup(): Promise<void> {
    this.#cleanup ??= this.#removeAll().finally(() => this.registry.delete(this));
    return this.#cleanup;
  }

  async #removeAll(): Promise<void> {
    const work = this.#removeContainersAndNetworks().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLEANUP_TIMEOUT_MS);
    });
    await Promise.race([work, timeout]);
    clearTimeout(timer);
  }

  async #removeContainersAndNetworks(): Promise<void> {
    const label = `${LABELS.session}=${this.sessionId}`;
    const containers = new Set(this.#containers);
    const networks = new Set(this.#networks);
    try {
      for (const c of await this.api.listContainers([label])) containers.add(c.id);
      for (const n of await this.api.listNetworks([label])) networks.add(n.id);
    } catch {
      // the engine may be gone; remove what was recorded
    }
    await Promise.allSettled([...containers].map((id) => this.api.removeContainer(id)));
    await Promise.allSettled([...networks].map((id) => removeNetworkPatiently(this.api, id)));
  }
}

/** A network still has endpoints for a moment after its containers are removed: retry a little. */
async function removeNetworkPatiently(api: EngineApi, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await api.removeNetwork(id);
      return;
    } catch (error) {
      if (attempt >= NETWORK_REMOVE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
