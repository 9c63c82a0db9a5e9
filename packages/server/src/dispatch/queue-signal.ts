/**
 * The job queue's version, for long polling (runner protocol §2.7): runners send back the
 * `X-GitLab-Last-Update` value they saw, and a request whose value is still current is held
 * until the queue changes or the hold ends. The version changes whenever a job is queued.
 *
 * A queued job wakes one held request, the one waiting longest, not all of them: fifty runners
 * racing for one job cost fifty queue scans and forty-nine empty answers. A woken request that
 * finds nothing it may take while jobs wait (their tags are not its tags) passes the turn on.
 */
import { randomBytes } from "node:crypto";

export class QueueSignal {
  private current = randomBytes(8).toString("hex");
  /** Held requests, oldest first, with the version each last looked at. */
  private waiters = new Map<() => void, string>();

  get version(): string {
    return this.current;
  }

  /** `jobs` jobs were queued or came free: a new version, and as many held requests woken. */
  bump(jobs = 1): void {
    this.current = randomBytes(8).toString("hex");
    for (let i = 0; i < jobs; i++) if (!this.passOn()) break;
  }

  /**
   * Wakes the request held longest among those that have not looked at the queue since it last
   * changed (so a job no held runner may take does not pass round in circles); false when
   * there is none.
   */
  passOn(): boolean {
    // A Map iterates in insertion order: the first is the oldest.
    for (const [wake, seen] of this.waiters) {
      if (seen === this.current) continue;
      wake();
      return true;
    }
    return false;
  }

  /** Wakes every held request (runners must look again). */
  wakeAll(): void {
    for (const wake of [...this.waiters.keys()]) wake();
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
      this.waiters.set(wake, seen);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Requests being held now. */
  get held(): number {
    return this.waiters.size;
  }
}
