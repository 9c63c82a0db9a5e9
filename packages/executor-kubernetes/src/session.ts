/**
 * One job's pod: its steps run in the build container, its build directory travels through the
 * helper container (`workspace`). The pod and the Secret made for it are recorded the moment
 * they are created, and also found again by their session label, so cleanup removes both even
 * after a prepare that failed or was interrupted halfway, a step that timed out, or a cancel.
 * Cleanup deletes with the pod's grace period, or at once (grace 0) after a hard abort; it is
 * idempotent and never throws.
 */
import type { CoreV1Api } from "@kubernetes/client-node";
import type { ExecutorSession, StepOutcome, StepRequest } from "@conveyor/runner";
import type { PodExec } from "./exec.js";
import { JOB_BUILDS_DIR } from "./options.js";
import { LABELS } from "./pod-spec.js";
import type { Cleanable, SessionRegistry } from "./registry.js";
import { pidFileOf } from "./shell.js";
import { runScript } from "./step.js";
import { TarWorkspace } from "./workspace.js";

/** Bound for the whole cleanup, so an unresponsive API server cannot hold the runner forever. */
const CLEANUP_TIMEOUT_MS = 60_000;

export class KubernetesSession implements ExecutorSession, Cleanable {
  readonly jobBuildsDir = JOB_BUILDS_DIR;
  readonly hostBuildsDir: string;
  readonly sessionId: string;
  readonly namespace: string;
  readonly workspace: TarWorkspace;
  #shell: "bash" | "sh" = "sh";
  #shellPath: string | undefined;
  #podName: string;
  #podCreated = false;
  readonly #secrets = new Set<string>();
  #cleanup: Promise<void> | undefined;
  #stepRunning = false;
  #steps = 0;
  #aborted = false;

  constructor(
    private readonly core: CoreV1Api,
    private readonly exec: PodExec,
    private readonly registry: SessionRegistry,
    init: { sessionId: string; namespace: string; podName: string; hostBuildsDir: string },
  ) {
    this.sessionId = init.sessionId;
    this.namespace = init.namespace;
    this.#podName = init.podName;
    this.hostBuildsDir = init.hostBuildsDir;
    this.workspace = new TarWorkspace(
      exec,
      { namespace: init.namespace, pod: init.podName },
      init.hostBuildsDir,
    );
    registry.add(this);
  }

  get shell(): "bash" | "sh" {
    return this.#shell;
  }

  /** The job's pod. */
  get podName(): string {
    return this.#podName;
  }

  get closed(): boolean {
    return this.#cleanup !== undefined;
  }

  /** Records the pod; when the session was cleaned up meanwhile, deletes it at once. */
  podCreated(): void {
    this.#podCreated = true;
    if (this.closed) {
      void this.core
        .deleteNamespacedPod({
          name: this.#podName,
          namespace: this.namespace,
          gracePeriodSeconds: 0,
        })
        .catch(() => undefined);
    }
  }

  /** Records a Secret; when the session was cleaned up meanwhile, deletes it at once. */
  trackSecret(name: string): void {
    this.#secrets.add(name);
    if (this.closed) {
      void this.core
        .deleteNamespacedSecret({ name, namespace: this.namespace })
        .catch(() => undefined);
    }
  }

  /** Makes the next cleanup delete at once (a hard abort, a canceled prepare). */
  markAborted(): void {
    this.#aborted = true;
  }

  /** Called by prepare once the pod runs and its shell is known. */
  ready(shell: "bash" | "sh", shellPath: string): void {
    this.#shell = shell;
    this.#shellPath = shellPath;
  }

  async runStep(step: StepRequest): Promise<StepOutcome> {
    const refuse = (systemError: string): StepOutcome => ({
      exitCode: null,
      timedOut: false,
      canceled: false,
      systemError,
    });
    if (this.closed) return refuse("the session was cleaned up");
    if (!this.#shellPath) return refuse("the session is not prepared");
    if (this.#stepRunning) return refuse("another step is still running");
    this.#stepRunning = true;
    const onKill = () => this.markAborted();
    step.killSignal?.addEventListener("abort", onKill, { once: true });
    try {
      const stepId = `${++this.#steps}-${step.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      return await runScript(this.exec, {
        namespace: this.namespace,
        pod: this.#podName,
        shellPath: this.#shellPath,
        script: step.script,
        pidFile: pidFileOf(stepId),
        timeoutMs: step.timeoutMs,
        signal: step.signal,
        ...(step.killSignal ? { killSignal: step.killSignal } : {}),
        output: step.output,
      });
    } finally {
      step.killSignal?.removeEventListener("abort", onKill);
      this.#stepRunning = false;
    }
  }

  cleanup(): Promise<void> {
    this.#cleanup ??= this.#removeAll().finally(() => this.registry.delete(this));
    return this.#cleanup;
  }

  async #removeAll(): Promise<void> {
    const work = this.#deletePodAndSecrets().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLEANUP_TIMEOUT_MS);
    });
    await Promise.race([work, timeout]);
    clearTimeout(timer);
  }

  async #deletePodAndSecrets(): Promise<void> {
    const namespace = this.namespace;
    const labelSelector = `${LABELS.session}=${this.sessionId}`;
    const pods = new Set(this.#podCreated ? [this.#podName] : []);
    const secrets = new Set(this.#secrets);
    try {
      for (const pod of (await this.core.listNamespacedPod({ namespace, labelSelector })).items) {
        if (pod.metadata?.name) pods.add(pod.metadata.name);
      }
      for (const secret of (await this.core.listNamespacedSecret({ namespace, labelSelector }))
        .items) {
        if (secret.metadata?.name) secrets.add(secret.metadata.name);
      }
    } catch {
      // the API may be unreachable: delete what was recorded
    }
    const grace = this.#aborted ? { gracePeriodSeconds: 0 } : {};
    await Promise.allSettled([
      ...[...pods].map((name) => this.core.deleteNamespacedPod({ name, namespace, ...grace })),
      ...[...secrets].map((name) => this.core.deleteNamespacedSecret({ name, namespace })),
    ]);
  }
}
