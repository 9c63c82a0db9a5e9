/**
 * `conveyor run` on uncommitted work: makes the job's checkout look like the user's working
 * tree — tracked files as they are on disk (changes included), untracked files that are not
 * ignored, tracked files deleted on disk removed. The working tree is only read: `git ls-files`
 * and file reads, never a command that writes its index or files.
 */
import { copyFile, cp, lstat, mkdir, readlink, rm, symlink, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runGit } from "./git-process.js";

export interface OverlayOptions {
  /** The user's working tree (read only). */
  source: string;
  /** The job's checkout to overwrite. */
  projectDir: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

export interface OverlayResult {
  copied: number;
  removed: number;
}

/** NUL-separated `git ls-files` output as a list of paths (trailing `/` for nested repos). */
export function splitPaths(output: Buffer): string[] {
  return [
    ...new Set(
      output
        .toString("utf8")
        .split("\0")
        .filter((p) => p !== ""),
    ),
  ];
}

async function listFiles(dir: string, args: string[], o: OverlayOptions): Promise<string[]> {
  const run = await runGit(["-C", dir, "ls-files", "-z", ...args], {
    cwd: dir,
    env: o.env,
    signal: o.signal,
    capture: true,
  });
  if (run.exitCode !== 0) {
    throw new Error(`cannot list the files of ${dir} (git ls-files exited with ${run.exitCode})`);
  }
  return splitPaths(run.stdout);
}

async function kindOf(path: string): Promise<"file" | "symlink" | "dir" | "other" | undefined> {
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) return "symlink";
    if (info.isFile()) return "file";
    if (info.isDirectory()) return "dir";
    return "other";
  } catch {
    return undefined;
  }
}

async function copyEntry(from: string, to: string): Promise<boolean> {
  const kind = await kindOf(from);
  if (kind === undefined || kind === "other") return false;
  const existing = await kindOf(to);
  if (existing !== undefined && (existing !== "file" || kind !== "file")) {
    await rm(to, { recursive: true, force: true });
  }
  await mkdir(dirname(to), { recursive: true });
  if (kind === "symlink") {
    await symlink(await readlink(from), to);
  } else if (kind === "dir") {
    // A nested repository or submodule: its files, without its .git.
    await cp(from, to, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !/[\\/]\.git$/.test(src),
    });
  } else {
    await copyFile(from, to);
    await chmod(to, (await lstat(from)).mode & 0o7777);
  }
  return true;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function overlayWorkingTree(o: OverlayOptions): Promise<OverlayResult> {
  const wanted = await listFiles(o.source, ["--cached", "--others", "--exclude-standard"], o);
  const wantedSet = new Set(wanted.map((p) => p.replace(/\/$/, "")));
  const checkedOut = await listFiles(o.projectDir, [], o).catch(() => [] as string[]);
  let removed = 0;
  let copied = 0;
  await eachLimited(
    checkedOut.filter((p) => !wantedSet.has(p)),
    16,
    async (path) => {
      await rm(join(o.projectDir, path), { recursive: true, force: true });
      removed++;
    },
  );
  await eachLimited(wanted, 16, async (entry) => {
    const path = entry.replace(/\/$/, "");
    const target = join(o.projectDir, path);
    if (await copyEntry(join(o.source, path), target)) copied++;
    else if ((await kindOf(target)) !== undefined) {
      // tracked but deleted in the working tree
      await rm(target, { recursive: true, force: true });
      removed++;
    }
  });
  return { copied, removed };
}
