/**
 * Reads and extracts zip archives as gitlab-runner's helper does (helpers/archives/zip_extract.go):
 * directories, files and symlinks recreated with their Unix permissions and modification times,
 * existing files replaced, per-entry problems reported as warnings ("(suppressing repeats)")
 * without failing the extraction. Unlike the runner's legacy extractor, entries that would land
 * outside the target directory (absolute names, `..`, or a path through a symlink extracted
 * earlier) are refused: the whole extraction stops with a ZipError (zip slip).
 */
import {
  chmodSync,
  closeSync,
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createInflateRaw, inflateRawSync } from "node:zlib";
import { crc32 } from "./crc32.js";
import { Yielder } from "./yielder.js";
import { warnOnGitDirectory } from "./zip-write.js";

/** The archive is unreadable, or an entry would escape the target directory. */
export class ZipError extends Error {
  override readonly name = "ZipError";
}

export interface ZipEntry {
  /** As stored, directories ending in `/`. */
  name: string;
  kind: "file" | "directory" | "symlink";
  /** Permission bits to apply (`0o777` mask). */
  mode: number;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  mtime: Date;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** The entries of the archive's central directory, in archive order. */
export async function readZipEntries(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, "r");
  try {
    const { size: fileSize } = await handle.stat();
    const tailSize = Math.min(fileSize, 22 + 0xffff + 20);
    const tail = Buffer.alloc(tailSize);
    await readExactly(handle, tail, fileSize - tailSize);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipError("zip: not a valid zip file");
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === 0x07064b50) {
      const at = Number(tail.readBigUInt64LE(eocd - 20 + 8));
      const z = Buffer.alloc(56);
      await readExactly(handle, z, at);
      if (z.readUInt32LE(0) !== 0x06064b50) throw new ZipError("zip: not a valid zip file");
      count = Number(z.readBigUInt64LE(32));
      cdSize = Number(z.readBigUInt64LE(40));
      cdOffset = Number(z.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > fileSize) throw new ZipError("zip: not a valid zip file");
    const cd = Buffer.alloc(cdSize);
    await readExactly(handle, cd, cdOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) {
        throw new ZipError("zip: not a valid zip file");
      }
      const madeBy = cd.readUInt16LE(p + 4);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const dosTime = cd.readUInt16LE(p + 12);
      const dosDate = cd.readUInt16LE(p + 14);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const external = cd.readUInt32LE(p + 38);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
      const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      let mtime = dosToDate(dosDate, dosTime);
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e);
        const len = extra.readUInt16LE(e + 2);
        const data = extra.subarray(e + 4, e + 4 + len);
        if (id === 0x0001) {
          let q = 0;
          const next = () => {
            const v = data.length >= q + 8 ? Number(data.readBigUInt64LE(q)) : 0;
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
        } else if (id === 0x5455 && len >= 5 && (data[0]! & 1) === 1) {
          mtime = new Date(data.readInt32LE(1) * 1000);
        }
        e += 4 + len;
      }
      p += 46 + nameLen + extraLen + commentLen;
      entries.push({
        name,
        ...kindAndMode(madeBy >> 8, external, name),
        method,
        flags,
        crc,
        compressedSize,
        size,
        localHeaderOffset,
        mtime,
      });
    }
    return entries;
  } finally {
    await handle.close();
  }
}

function kindAndMode(
  creator: number,
  external: number,
  name: string,
): { kind: ZipEntry["kind"]; mode: number } {
  const slash = name.endsWith("/");
  if (creator === 3 || creator === 19) {
    const unix = external >>> 16;
    const type = unix & S_IFMT;
    if (type === S_IFLNK) return { kind: "symlink", mode: 0o777 };
    const dir = slash || type === S_IFDIR || (external & 0x10) !== 0;
    let mode = unix & 0o777;
    if (mode === 0 && type === 0) mode = dir ? 0o755 : 0o644;
    return { kind: dir ? "directory" : "file", mode };
  }
  const dir = slash || (external & 0x10) !== 0;
  let mode = dir ? 0o777 : 0o666;
  if ((external & 0x01) !== 0) mode &= ~0o222;
  return { kind: dir ? "directory" : "file", mode };
}

function dosToDate(date: number, time: number): Date {
  return new Date(
    ((date >> 9) & 0x7f) + 1980,
    ((date >> 5) & 0x0f) - 1,
    date & 0x1f,
    (time >> 11) & 0x1f,
    (time >> 5) & 0x3f,
    (time & 0x1f) * 2,
  );
}

async function readExactly(
  handle: Awaited<ReturnType<typeof open>>,
  buf: Buffer,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new ZipError("zip: unexpected end of file");
    done += bytesRead;
  }
}

export interface ExtractZipOptions {
  /** The zip file. */
  file: string;
  /** Where the entries go (the project directory); created if missing. */
  targetDir: string;
  log?: (line: string) => void;
}

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Entries up to this compressed size are read, inflated and written synchronously. */
const SMALL_ENTRY = 1 << 20;

class SlipError extends ZipError {}

/** Extracts every entry; returns how many entries the archive holds. */
export async function extractZip(options: ExtractZipOptions): Promise<{ entries: number }> {
  const entries = await readZipEntries(options.file);
  const target = resolve(options.targetDir);
  const refuse = (entry: ZipEntry) =>
    new SlipError(`${entry.name}: cannot be extracted outside of ${target}`);
  for (const entry of entries) {
    const dest = resolve(target, entry.name);
    if (entry.name.includes("\0") || isAbsolute(entry.name) || !inside(target, dest)) {
      throw refuse(entry);
    }
  }
  mkdirSync(target, { recursive: true });
  const realTarget = realpathSync(target);
  warnOnGitDirectory(
    "extract",
    entries.map((e) => e.name),
    options.log,
  );
  const reported = new Set<string>();
  const directories: { path: string; mtime: Date }[] = [];
  /** Parent directories created and checked to resolve inside the target. */
  const checked = new Set<string>();
  const yielder = new Yielder();
  const fd = openSync(options.file, "r");
  try {
    for (const entry of entries) {
      await yielder.tick();
      const dest = resolve(target, entry.name);
      if (dest === target) continue;
      try {
        const parent = dirname(dest);
        if (!checked.has(parent)) {
          mkdirSync(parent, { recursive: true });
          if (!inside(realTarget, realpathSync(parent))) throw refuse(entry);
          checked.add(parent);
        }
        if (entry.kind === "directory") {
          try {
            mkdirSync(dest, { mode: entry.mode });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
          }
          chmodSync(dest, entry.mode);
          directories.push({ path: dest, mtime: entry.mtime });
        } else if (entry.kind === "symlink") {
          const linkTarget = readSmallEntry(fd, entry).toString("utf8");
          removeExisting(dest);
          for (const dir of checked) {
            if (dir === dest || dir.startsWith(dest + sep)) checked.delete(dir);
          }
          symlinkSync(linkTarget, dest);
        } else {
          removeExisting(dest);
          if (entry.compressedSize <= SMALL_ENTRY) {
            writeFileSync(dest, readSmallEntry(fd, entry), { mode: entry.mode });
          } else {
            await writeEntry(options.file, entry, dest);
          }
          chmodSync(dest, entry.mode);
          utimesSync(dest, entry.mtime, entry.mtime);
        }
      } catch (err) {
        if (err instanceof SlipError) throw err;
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        if (!reported.has(code)) {
          reported.add(code);
          options.log?.(`WARNING: ${entry.name}: ${(err as Error).message} (suppressing repeats)`);
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  for (const dir of directories.reverse()) {
    try {
      utimesSync(dir.path, dir.mtime, dir.mtime);
    } catch {
      // a directory replaced by a later entry
    }
  }
  return { entries: entries.length };
}

/** os.Remove before creating: a file or symlink goes; a directory only when empty. */
function removeExisting(path: string): void {
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info) return;
  if (info.isDirectory()) rmdirSync(path);
  else unlinkSync(path);
}

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new ZipError("zip: unexpected end of file");
    done += n;
  }
  return buf;
}

/** One entry's content, read and checked synchronously (small entries only). */
function readSmallEntry(fd: number, entry: ZipEntry): Buffer {
  if ((entry.flags & 0x1) !== 0) throw new ZipError("zip: encrypted entries are not supported");
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ZipError("zip: unsupported compression algorithm");
  }
  const header = readAt(fd, 30, entry.localHeaderOffset);
  if (header.readUInt32LE(0) !== 0x04034b50) throw new ZipError("zip: not a valid zip file");
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw = readAt(fd, entry.compressedSize, start);
  let data: Buffer;
  try {
    data = entry.method === 8 ? inflateRawSync(raw) : raw;
  } catch (err) {
    throw new ZipError(`zip: ${(err as Error).message}`);
  }
  if (data.length !== entry.size || crc32(data) >>> 0 !== entry.crc) {
    throw new ZipError("zip: checksum error");
  }
  return data;
}

async function dataStart(file: string, entry: ZipEntry): Promise<number> {
  const handle = await open(file, "r");
  try {
    const h = Buffer.alloc(30);
    await readExactly(handle, h, entry.localHeaderOffset);
    if (h.readUInt32LE(0) !== 0x04034b50) throw new ZipError("zip: not a valid zip file");
    return entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  } finally {
    await handle.close();
  }
}

function entrySource(file: string, entry: ZipEntry, start: number) {
  if ((entry.flags & 0x1) !== 0) throw new ZipError("zip: encrypted entries are not supported");
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ZipError("zip: unsupported compression algorithm");
  }
  const raw = createReadStream(file, {
    start,
    end: start + Math.max(entry.compressedSize, 1) - 1,
  });
  return entry.compressedSize === 0 ? undefined : raw;
}

class CrcCheck extends Transform {
  private crc = 0;
  private size = 0;
  constructor(private readonly entry: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    this.push(chunk);
    done();
  }
  override _flush(done: (err?: Error) => void): void {
    if (this.size !== this.entry.size || this.crc >>> 0 !== this.entry.crc) {
      done(new ZipError("zip: checksum error"));
    } else {
      done();
    }
  }
}

async function writeEntry(file: string, entry: ZipEntry, dest: string): Promise<void> {
  const start = await dataStart(file, entry);
  const source = entrySource(file, entry, start);
  const sink = createWriteStream(dest, { mode: entry.mode });
  if (!source) {
    const check = new CrcCheck(entry);
    check.end();
    await pipeline(check, sink);
    return;
  }
  if (entry.method === 8) {
    await pipeline(source, createInflateRaw(), new CrcCheck(entry), sink);
  } else {
    await pipeline(source, new CrcCheck(entry), sink);
  }
}

/** The whole (uncompressed) content of one entry, checked. */
export async function readEntry(file: string, entry: ZipEntry): Promise<Buffer> {
  const start = await dataStart(file, entry);
  const source = entrySource(file, entry, start);
  const chunks: Buffer[] = [];
  const collect = async function (src: AsyncIterable<Buffer>) {
    for await (const chunk of src) chunks.push(chunk);
  };
  if (!source) {
    const check = new CrcCheck(entry);
    check.end();
    await pipeline(check, collect);
  } else if (entry.method === 8) {
    await pipeline(source, createInflateRaw(), new CrcCheck(entry), collect);
  } else {
    await pipeline(source, new CrcCheck(entry), collect);
  }
  return Buffer.concat(chunks);
}
