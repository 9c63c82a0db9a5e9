/**
 * The executor sessions alive in this process, so a command interrupted (SIGINT, SIGTERM) before
 * the runner reached their cleanup can still remove what they made (containers, networks, pods),
 * and so the removal of stale resources spares live ones. Each executor keeps its own registry.
 */

export interface Cleanable {
  /** Identifies the session's resources (a label on each of them). */
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

  /** Session ids alive now (their resources are not stale). */
  sessionIds(): Set<string> {
    return new Set([...this.#live].map((session) => session.sessionId));
  }

  /** Cleans up every live session at once; never throws. */
  async cleanupAll(): Promise<void> {
    await Promise.allSettled([...this.#live].map((session) => session.cleanup()));
  }
}

/**
 * On the first of `signals`, cleans up every live session of `registry`, then re-raises the signal
 * with this handler removed (so the process ends as it would have). Returns a function that
 * removes the handlers. For a CLI that handles signals itself: call `registry.cleanupAll()` there.
 */
export function cleanupRegistryOnSignals(
  registry: SessionRegistry,
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
