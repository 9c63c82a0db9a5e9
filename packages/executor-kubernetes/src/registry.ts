/**
 * The Kubernetes sessions alive in this process, so a command can delete every pod they made
 * when it is interrupted (SIGINT, SIGTERM) before the runner reached their cleanup, and so the
 * removal of stale pods spares them.
 */

export interface Cleanable {
  /** Identifies the session's pod and Secret (label `conveyor.dev/session`). */
  readonly sessionId: string;
  cleanup(): Promise<void>;
}

export class SessionRegistry {
  readonly #live = new Set<Cleanable>();

  add(session: Cleanable): void {
    this.#live.add(session);
  }

  delete(session: Cleanable): void {
    this.#live.delete(session);
  }

  get size(): number {
    return this.#live.size;
  }

  /** Session ids alive now (their pods are not stale). */
  sessionIds(): Set<string> {
    return new Set([...this.#live].map((session) => session.sessionId));
  }

  /** Cleans up every live session at once; never throws. */
  async cleanupAll(): Promise<void> {
    await Promise.allSettled([...this.#live].map((session) => session.cleanup()));
  }
}

/** The registry KubernetesExecutor uses unless given another. */
export const liveKubernetesSessions = new SessionRegistry();

/**
 * On the first of `signals`, cleans up every live session of `registry`, then re-raises the signal
 * with this handler removed (so the process ends as it would have). Returns a function that
 * removes the handlers.
 */
export function cleanupOnSignals(
  registry: SessionRegistry = liveKubernetesSessions,
  signals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"],
): () => void {
  const handler = (signal: NodeJS.Signals) => {
    remove();
    void registry.cleanupAll().finally(() => process.kill(process.pid, signal));
  };
  const remove = () => {
    for (const signal of signals) process.removeListener(signal, handler);
  };
  for (const signal of signals) process.once(signal, handler);
  return remove;
}
