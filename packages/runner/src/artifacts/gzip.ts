/**
 * The `gzip` artifact format (most reports): one gzip member per file, concatenated, in byte
 * order; each member's header names the file (base name) and carries its project path as the
 * comment and its modification time — as gitlab-runner writes it
 * (helpers/archives/gzip_create.go). GitLab reads such a file member by member ("blobs"), so a
 * report made of several files is parsed file by file; `gunzipMembers` splits one the same way.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { lstat } from "node:fs/promises";
import { basename, join } from "node:path";
import { finished, pipeline } from "node:stream/promises";
import { createGzip as zlibGzip, inflateRawSync } from "node:zlib";
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
  const out = createWriteStream(options.output);
  const closed = finished(out);
  closed.catch(() => undefined); // awaited below; this only keeps an early failure handled
  try {
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
      const header = Buffer.concat([
        Buffer.of(0x1f, 0x8b, 8, FNAME | FCOMMENT, 0, 0, 0, 0, 0, 255),
        latin1(basename(name)),
        Buffer.of(0),
        latin1(name),
        Buffer.of(0),
      ]);
      header.writeUInt32LE(Math.max(0, Math.floor(info.mtimeMs / 1000)) >>> 0, 4);
      await pipeline(
        createReadStream(full),
        zlibGzip({ level: options.level ?? 6 }),
        replaceHeader(header),
        out,
        { end: false },
      );
    }
    out.end();
  } catch (err) {
    out.destroy(err as Error);
  }
  await closed;
}

/**
 * node:zlib writes a bare 10-byte gzip header and cannot set FNAME or FCOMMENT; its header is
 * swapped for ours, while the deflate data and the CRC-32/length trailer stay zlib's.
 */
function replaceHeader(header: Buffer) {
  return async function* (source: AsyncIterable<Buffer>) {
    let skip = 10;
    yield header;
    for await (const chunk of source) {
      const rest = chunk.subarray(skip);
      skip = Math.max(0, skip - chunk.length);
      if (rest.length > 0) yield rest;
    }
  };
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
