/**
 * Splits the Engine API's multiplexed stream (attach and logs of a container without a TTY) into
 * its frames: an 8-byte header (stream type: 0 stdin, 1 stdout, 2 stderr; 3 bytes zero; payload
 * size as big-endian uint32) and the payload. Frames may arrive split across chunks.
 * Docs: https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerAttach
 */

export type StreamKind = "stdin" | "stdout" | "stderr";

const KINDS: Record<number, StreamKind> = { 0: "stdin", 1: "stdout", 2: "stderr" };
const HEADER = 8;

export class StreamDemuxer {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (kind: StreamKind, payload: Uint8Array) => void) {}

  /** Feeds raw bytes; calls onFrame for every complete frame, in order. */
  push(chunk: Uint8Array): void {
    this.#pending =
      this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    while (this.#pending.length - offset >= HEADER) {
      const size = this.#pending.readUInt32BE(offset + 4);
      if (this.#pending.length - offset - HEADER < size) break;
      const kind = KINDS[this.#pending[offset]!] ?? "stdout";
      const start = offset + HEADER;
      if (size > 0) this.onFrame(kind, this.#pending.subarray(start, start + size));
      offset = start + size;
    }
    this.#pending = this.#pending.subarray(offset);
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

/** Demultiplexes a whole buffer into one string (stdout and stderr interleaved). */
export function demuxToString(data: Uint8Array): string {
  const parts: Uint8Array[] = [];
  const demuxer = new StreamDemuxer((_kind, payload) => parts.push(payload));
  demuxer.push(data);
  return Buffer.concat(parts).toString("utf8");
}
