/**
 * The job queue's version, for long polling (runner protocol §2.7): runners send back the
 * `X-GitLab-Last-Update` value they saw, and a request whose value is still current is held
 * until the queue changes or the hold ends. The version changes whenever a job is queued.
 */
import { randomBytes } from "node:crypto";

export class QueueSignal {
  private current = randomBytes(8).toString("hex");
  private waiters = new Set<() => void>();

  get version(): string {
    return this.current;
  }

  /** A job was queued or came free: wake every held request. */
  bump(): void {
    this.current = randomBytes(8).toString("hex");
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const wake of waiting) wake();
  }

  /**
   * Resolves true when the version changes, false after `ms` or when `signal` aborts.
   * Returns at once (true) when `seen` is already stale.
   */
  changed(seen: string | undefined, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (seen !== this.current) return Promise.resolve(true);
    if (signal?.aborted || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      };
      const wake = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Requests being held now. */
  get held(): number {
    return this.waiters.size;
  }
}
