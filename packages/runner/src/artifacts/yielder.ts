/**
 * Lets long runs of fast synchronous filesystem calls (lstat, readdir, small reads) give the
 * event loop a turn every few milliseconds. Synchronous metadata calls are an order of
 * magnitude faster than their promise versions on trees of many small files (node_modules),
 * and yielding keeps trace flushing, timeouts and cancellation responsive meanwhile.
 */
export class Yielder {
  private last = performance.now();
  constructor(private readonly sliceMs = 15) {}

  /** Resolves at once, or after one event-loop turn when the current slice is used up. */
  async tick(): Promise<void> {
    if (performance.now() - this.last < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
