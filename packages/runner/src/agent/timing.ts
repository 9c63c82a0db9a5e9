/**
 * Waiting helpers for the runner agent: an abortable sleep and an exponential back-off with
 * jitter, the shape gitlab-runner uses for its HTTP retries and final-update retries
 * (runner-protocol.md §1.3, §4.5).
 */

/** Resolves after `ms`, or at once (without throwing) when `signal` is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface BackoffPolicy {
  /** First delay in milliseconds. */
  initialMs: number;
  /** Largest delay in milliseconds. */
  maxMs: number;
}

/** Doubling delays from `initialMs` up to `maxMs`, each with up to 20 % random jitter. */
export class Backoff {
  #next: number;

  constructor(private readonly policy: BackoffPolicy) {
    this.#next = policy.initialMs;
  }

  /** The delay to wait now; the one after it doubles. */
  next(): number {
    const base = this.#next;
    this.#next = Math.min(this.policy.maxMs, Math.max(1, base * 2));
    return Math.round(Math.min(this.policy.maxMs, base * (1 + Math.random() * 0.2)));
  }

  reset(): void {
    this.#next = this.policy.initialMs;
  }
}
