/**
 * Artifact bytes on the server's disk, content-addressed by SHA-256. A blob is written to a
 * temporary file, flushed to disk and renamed into place before anyone records it, so an
 * artifact the server acknowledged survives a crash (and a half-written one never appears).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
}

export class FileBlobs {
  constructor(private readonly root: string) {}

  /** Stores the stream's bytes; rejects (leaving nothing) when it exceeds `maxBytes`. */
  async put(source: Readable, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredBlob> {
    const incoming = join(this.root, "incoming");
    await mkdir(incoming, { recursive: true });
    const temp = join(incoming, randomBytes(12).toString("hex"));
    const hash = createHash("sha256");
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (size > maxBytes) throw new BlobTooLarge(maxBytes);
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temp),
      );
      await flush(temp);
      const sha256 = hash.digest("hex");
      const key = `${sha256.slice(0, 2)}/${sha256}`;
      const target = this.path(key);
      await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
      await rename(temp, target);
      await flush(join(this.root, sha256.slice(0, 2)));
      return { key, size, sha256 };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  path(key: string): string {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(key)) throw new Error("invalid blob key");
    return join(this.root, key);
  }

  read(key: string): Readable {
    return createReadStream(this.path(key));
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(key))).size;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

export class BlobTooLarge extends Error {
  override readonly name = "BlobTooLarge";
  constructor(readonly maxBytes: number) {
    super(`the upload is larger than ${maxBytes} bytes`);
  }
}

async function flush(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
