/**
 * Reads and extracts zip archives as gitlab-runner's helper does (helpers/archives/zip_extract.go):
 * directories, files and symlinks recreated with their Unix permissions and modification times,
 * existing files replaced, per-entry problems reported as warnings ("(suppressing repeats)")
 * without failing the extraction. Unlike the runner's legacy extractor, entries that would land
 * outside the target directory (absolute names, `..`, or a path through a symlink extracted
 * earlier) are refused: the whole extraction stops with a ZipError (zip slip).
 * The zip format (central directory, Zip64, inflating) is yauzl's. What is added here is what
 * yauzl leaves to its caller: the CRC-32 check of each entry's content, the Unix kind and mode,
 * and the zip-slip rules (yauzl's own name check would also refuse names holding `\`, which
 * are ordinary file names on Unix, so names are decoded with `strictFileNames`).
 */
import {
  chmodSync,
  createWriteStream,
  lstatSync,
  mkdirSync,
  realpathSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
} from "node:fs";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { Transform, type TransformCallback, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { getFileNameLowLevel, openPromise, type Entry, type ZipFile } from "yauzl";
import { crc32 } from "./crc32.js";
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

/** The kind and permissions an entry gets, from its Unix mode or else its DOS attributes. */
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

function toZipEntry(raw: Entry): ZipEntry {
  const name = getFileNameLowLevel(
    raw.generalPurposeBitFlag,
    raw.fileNameRaw,
    raw.extraFields,
    true,
  );
  return {
    name,
    ...kindAndMode(raw.versionMadeBy >> 8, raw.externalFileAttributes, name),
    method: raw.compressionMethod,
    flags: raw.generalPurposeBitFlag,
    crc: raw.crc32,
    compressedSize: raw.compressedSize,
    size: raw.uncompressedSize,
    localHeaderOffset: raw.relativeOffsetOfLocalHeader,
    mtime: raw.getLastModDate(),
  };
}

interface Listed {
  raw: Entry;
  entry: ZipEntry;
}

/** Opens the archive and reads its central directory; the caller closes it. */
async function openZip(file: string): Promise<{ zip: ZipFile; listed: Listed[] }> {
  const notAZip = (err: unknown) =>
    (err as NodeJS.ErrnoException).code !== undefined
      ? err
      : new ZipError("zip: not a valid zip file", { cause: err });
  let zip: ZipFile;
  try {
    zip = await openPromise(file, { lazyEntries: true, autoClose: false, decodeStrings: false });
  } catch (err) {
    throw notAZip(err);
  }
  try {
    const listed: Listed[] = [];
    for await (const raw of zip.eachEntry()) listed.push({ raw, entry: toZipEntry(raw) });
    return { zip, listed };
  } catch (err) {
    zip.close();
    throw notAZip(err);
  }
}

/** The entries of the archive's central directory, in archive order. */
export async function readZipEntries(file: string): Promise<ZipEntry[]> {
  const { zip, listed } = await openZip(file);
  zip.close();
  return listed.map((l) => l.entry);
}

/** Fails the stream at its end when the content's CRC-32 or length is not the recorded one. */
class CrcCheck extends Transform {
  private crc = 0;
  private size = 0;
  constructor(private readonly entry: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const ok = this.size === this.entry.size && this.crc >>> 0 === this.entry.crc >>> 0;
    done(ok ? null : new ZipError("zip: checksum error"));
  }
}

/** Streams one entry's content, inflated and checked, into `sink`. */
async function copyEntry(
  zip: ZipFile,
  { raw, entry }: Listed,
  sink: Writable | ((source: AsyncIterable<Buffer>) => Promise<void>),
): Promise<void> {
  if (raw.isEncrypted()) throw new ZipError("zip: encrypted entries are not supported");
  if (!raw.canDecodeFileData()) throw new ZipError("zip: unsupported compression algorithm");
  await pipeline(await zip.openReadStreamPromise(raw), new CrcCheck(entry), sink);
}

async function bufferOf(zip: ZipFile, item: Listed): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await copyEntry(zip, item, async (source) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

/** The whole (uncompressed) content of one entry, checked. */
export async function readEntry(file: string, entry: ZipEntry): Promise<Buffer> {
  const { zip, listed } = await openZip(file);
  try {
    const item = listed.find((l) => l.entry.localHeaderOffset === entry.localHeaderOffset);
    if (!item) throw new ZipError(`zip: ${entry.name}: no such entry`);
    return await bufferOf(zip, item);
  } finally {
    zip.close();
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

class SlipError extends ZipError {}

/** Extracts every entry; returns how many entries the archive holds. */
export async function extractZip(options: ExtractZipOptions): Promise<{ entries: number }> {
  const { zip, listed } = await openZip(options.file);
  try {
    const target = resolve(options.targetDir);
    const refuse = (entry: ZipEntry) =>
      new SlipError(`${entry.name}: cannot be extracted outside of ${target}`);
    for (const { entry } of listed) {
      const dest = resolve(target, entry.name);
      if (entry.name.includes("\0") || isAbsolute(entry.name) || !inside(target, dest)) {
        throw refuse(entry);
      }
    }
    mkdirSync(target, { recursive: true });
    const realTarget = realpathSync(target);
    warnOnGitDirectory(
      "extract",
      listed.map((l) => l.entry.name),
      options.log,
    );
    const reported = new Set<string>();
    const directories: { path: string; mtime: Date }[] = [];
    /** Parent directories created and checked to resolve inside the target. */
    const checked = new Set<string>();
    for (const item of listed) {
      const { entry } = item;
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
          const linkTarget = (await bufferOf(zip, item)).toString("utf8");
          removeExisting(dest);
          for (const dir of checked) {
            if (dir === dest || dir.startsWith(dest + sep)) checked.delete(dir);
          }
          symlinkSync(linkTarget, dest);
        } else {
          removeExisting(dest);
          await copyEntry(zip, item, createWriteStream(dest, { mode: entry.mode }));
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
    for (const dir of directories.reverse()) {
      try {
        utimesSync(dir.path, dir.mtime, dir.mtime);
      } catch {
        // a directory replaced by a later entry
      }
    }
    return { entries: listed.length };
  } finally {
    zip.close();
  }
}

/** os.Remove before creating: a file or symlink goes; a directory only when empty. */
function removeExisting(path: string): void {
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info) return;
  if (info.isDirectory()) rmdirSync(path);
  else unlinkSync(path);
}
