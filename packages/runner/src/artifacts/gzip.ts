/**
 * The `gzip` artifact format (most reports): one gzip member per file, concatenated, in byte
 * order; each member's header names the file (base name) and carries its project path as the
 * comment and its modification time — as gitlab-runner writes it
 * (helpers/archives/gzip_create.go). GitLab reads such a file member by member ("blobs"), so a
 * report made of several files is parsed file by file; `gunzipMembers` splits one the same way.
 */
import { createReadStream } from "node:fs";
import { lstat, open } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createDeflateRaw, inflateRawSync } from "node:zlib";
import { crc32 } from "./crc32.js";
import { sortByBytes } from "./zip-write.js";

export interface CreateGzipOptions {
  baseDir: string;
  /** Relative, slash-separated names of regular files. */
  files: string[];
  output: string;
  log?: (line: string) => void;
  level?: number;
}

const FNAME = 0x08;
const FCOMMENT = 0x10;
const FEXTRA = 0x04;
const FHCRC = 0x02;

function latin1(value: string): Buffer {
  if ([...value].some((c) => c.codePointAt(0)! > 0xff || c === "\0")) {
    throw new Error("gzip.Write: non-Latin-1 header string");
  }
  return Buffer.from(value, "latin1");
}

/** Writes the concatenated gzip members. A name that is not a regular file is an error. */
export async function createGzip(options: CreateGzipOptions): Promise<void> {
  const handle = await open(options.output, "w");
  try {
    let position = 0;
    const write = async (buf: Uint8Array) => {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await handle.write(buf, done, buf.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    };
    for (const name of sortByBytes(options.files)) {
      const full = join(options.baseDir, name);
      let info;
      try {
        info = await lstat(full);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        options.log?.(`WARNING: File ignored: ${(err as Error).message}`);
        continue;
      }
      if (!info.isFile()) throw new Error(`the "${name}" is not a regular file`);
      const fname = latin1(basename(name));
      const comment = latin1(name);
      const header = Buffer.alloc(10);
      header.writeUInt8(0x1f, 0);
      header.writeUInt8(0x8b, 1);
      header.writeUInt8(8, 2);
      header.writeUInt8(FNAME | FCOMMENT, 3);
      header.writeUInt32LE(Math.max(0, Math.floor(info.mtimeMs / 1000)) >>> 0, 4);
      header.writeUInt8(0, 8);
      header.writeUInt8(255, 9);
      await write(Buffer.concat([header, fname, Buffer.of(0), comment, Buffer.of(0)]));
      let crc = 0;
      let size = 0;
      await pipeline(
        createReadStream(full),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            crc = crc32(chunk, crc);
            size += chunk.length;
            yield chunk;
          }
        },
        createDeflateRaw({ level: options.level ?? 6 }),
        async function (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) await write(chunk);
        },
      );
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(crc >>> 0, 0);
      trailer.writeUInt32LE(size % 0x100000000, 4);
      await write(trailer);
    }
  } finally {
    await handle.close();
  }
}

export interface GzipMember {
  /** FNAME: the file's base name. */
  name?: string;
  /** FCOMMENT: the file's path in the project, as the runner writes it. */
  comment?: string;
  /** Modification time, seconds since the epoch (0 when unset). */
  mtime: number;
  data: Buffer;
}

/** Splits concatenated gzip members and inflates each one (checking CRC and length). */
export function gunzipMembers(input: Uint8Array): GzipMember[] {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const members: GzipMember[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < 18 || buf[p] !== 0x1f || buf[p + 1] !== 0x8b || buf[p + 2] !== 8) {
      throw new Error("gzip: invalid header");
    }
    const flags = buf[p + 3]!;
    const mtime = buf.readUInt32LE(p + 4);
    let q = p + 10;
    if (flags & FEXTRA) q += 2 + buf.readUInt16LE(q);
    const cString = () => {
      const end = buf.indexOf(0, q);
      if (end < 0) throw new Error("gzip: invalid header");
      const s = buf.toString("latin1", q, end);
      q = end + 1;
      return s;
    };
    const member: GzipMember = { mtime, data: Buffer.alloc(0) };
    if (flags & FNAME) member.name = cString();
    if (flags & FCOMMENT) member.comment = cString();
    if (flags & FHCRC) q += 2;
    const { buffer, engine } = inflateRawSync(buf.subarray(q), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    q += engine.bytesWritten;
    if (q + 8 > buf.length) throw new Error("gzip: unexpected EOF");
    if (buf.readUInt32LE(q) !== crc32(buffer) >>> 0) throw new Error("gzip: invalid checksum");
    if (buf.readUInt32LE(q + 4) !== buffer.length % 0x100000000) {
      throw new Error("gzip: invalid length");
    }
    member.data = buffer;
    members.push(member);
    p = q + 8;
  }
  return members;
}
