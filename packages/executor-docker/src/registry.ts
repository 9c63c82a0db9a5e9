/**
 * The Docker sessions alive in this process, so a command can remove every container and network
 * they made when it is interrupted (SIGINT, SIGTERM) before the runner reached their cleanup.
 */

export interface Cleanable {
  /** Identifies the session's resources (label `com.conveyor.session`). */
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

/** The registry DockerExecutor uses unless given another. */
export const liveDockerSessions = new SessionRegistry();

/**
 * On the first of `signals`, cleans up every live session of `registry`, then re-raises the signal
 * with this handler removed (so the process ends as it would have). Returns a function that
 * removes the handlers. For a CLI that handles signals itself: call `registry.cleanupAll()` there.
 */
export function cleanupOnSignals(
  registry: SessionRegistry = liveDockerSessions,
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
