/**
 * The job log as the runner keeps it before and while sending it (runner-protocol.md §4.1): all
 * bytes in order, a running CRC-32 (IEEE) and size of exactly what is kept, and an output limit
 * past which nothing more is kept but one notice (the job keeps running). Pure, in memory.
 */
import { crc32 } from "../artifacts/crc32.js";

/** §4.1 / §6.1: gitlab-runner's default `output_limit`, 4096 KiB. */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 4096 * 1024;

export class TraceBuffer {
  #data = Buffer.alloc(64 * 1024);
  #size = 0;
  #crc = 0;
  #full = false;

  constructor(private readonly limitBytes = DEFAULT_OUTPUT_LIMIT_BYTES) {}

  /** Bytes kept so far. */
  get size(): number {
    return this.#size;
  }

  /** `crc32:<8 lowercase hex>` of everything kept (§2.8 `output.checksum`). */
  get checksum(): string {
    return `crc32:${this.#crc.toString(16).padStart(8, "0")}`;
  }

  /** Keeps `chunk`, or the part of it within the limit followed by the limit notice. */
  append(chunk: Uint8Array): void {
    if (this.#full || chunk.length === 0) return;
    const room = this.limitBytes - this.#size;
    if (chunk.length <= room) {
      this.#push(chunk);
      return;
    }
    if (room > 0) this.#push(chunk.subarray(0, room));
    this.#full = true;
    this.#push(
      Buffer.from(
        `\n\x1b[31;1mJob's log exceeded limit of ${this.limitBytes} bytes.\n` +
          `Job execution will continue but no more output will be collected.\x1b[0;m\n`,
      ),
    );
  }

  /** Bytes `[start, end)` (a view; copy before keeping it). */
  slice(start: number, end: number): Uint8Array {
    return this.#data.subarray(start, Math.min(end, this.#size));
  }

  /** Everything kept. */
  bytes(): Uint8Array {
    return this.#data.subarray(0, this.#size);
  }

  #push(bytes: Uint8Array): void {
    const needed = this.#size + bytes.length;
    if (needed > this.#data.length) {
      let capacity = this.#data.length;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.alloc(capacity);
      this.#data.copy(grown, 0, 0, this.#size);
      this.#data = grown;
    }
    this.#data.set(bytes, this.#size);
    this.#size = needed;
    this.#crc = crc32(bytes, this.#crc);
  }
}
