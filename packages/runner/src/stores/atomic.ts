/**
 * Atomic file replacement: copy (or write) into a temporary file beside the destination, flush
 * it to disk, then rename over the destination — a crash leaves either the old file or the new
 * one, never a torn one.
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

function tempBeside(dest: string): string {
  return join(
    dirname(dest),
    `.${basename(dest)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
}

async function flush(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `dest` with a copy of `source`. */
export async function replaceWithCopy(source: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tempBeside(dest);
  try {
    await copyFile(source, tmp);
    await flush(tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Replaces `dest` with `content`. */
export async function replaceWithContent(dest: string, content: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tempBeside(dest);
  try {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
