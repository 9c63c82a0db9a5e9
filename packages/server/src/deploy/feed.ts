/**
 * Wake-ups for long polls of a deployment's log: the worker says a deployment changed (new log
 * lines, a new status), and requests waiting on it return at once instead of at their timeout.
 * Only a hint: waiters read the store again, which stays the truth (another server process
 * sharing a PostgreSQL database writes without telling this one, so waits are bounded).
 */
export class DeploymentFeed {
  private readonly waiting = new Map<number, Set<() => void>>();

  notify(deploymentId: number): void {
    const listeners = this.waiting.get(deploymentId);
    if (!listeners) return;
    this.waiting.delete(deploymentId);
    for (const listener of listeners) listener();
  }

  /** Resolves at the next notify for the deployment, after `timeoutMs`, or when `signal` aborts. */
  wait(deploymentId: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let listeners = this.waiting.get(deploymentId);
      if (!listeners) {
        listeners = new Set();
        this.waiting.set(deploymentId, listeners);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        const current = this.waiting.get(deploymentId);
        current?.delete(done);
        if (current?.size === 0) this.waiting.delete(deploymentId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      timer.unref();
      signal?.addEventListener("abort", done, { once: true });
      listeners.add(done);
    });
  }
}
