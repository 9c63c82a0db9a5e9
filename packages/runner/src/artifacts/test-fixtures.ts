/**
 * Helpers for the tests of artifacts, cache, reports and stores: temporary directories, files,
 * git repositories, a minimal job payload, and a hand-made zip writer for hostile archives.
 * Not part of the package's API.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { JobPayload } from "@conveyor/protocol";
import { crc32 } from "./crc32.js";

/** A fresh temporary directory and its removal. */
export function tempDir(prefix = "conveyor-artifacts-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes files (path → content; a `->target` content makes a symlink; `/` suffix a directory). */
export function writeTree(root: string, tree: Record<string, string>): void {
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path);
    if (path.endsWith("/")) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (content.startsWith("->")) symlinkSync(content.slice(2), full);
    else writeFileSync(full, content);
  }
}

/** Runs git with a fixed identity and no user or system configuration. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  });
}

/** A repository with the given files committed. */
export function gitRepo(root: string, tree: Record<string, string>): void {
  git(root, "init", "-q", "-b", "main");
  writeTree(root, tree);
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "init");
}

/** The smallest JobPayload the artifact and cache stages read. */
export function jobPayload(overrides: Partial<JobPayload> = {}): JobPayload {
  return {
    id: 101,
    token: "glcbt-secret-token",
    allow_git_fetch: true,
    job_info: {
      id: 101,
      name: "build",
      stage: "build",
      pipeline_id: 7,
      project_id: 1,
      project_name: "shop",
    },
    git_info: {
      repo_url: "/srv/repo",
      ref: "main",
      sha: "a".repeat(40),
      before_sha: "0".repeat(40),
      ref_type: "branch",
      refspecs: [],
      depth: 0,
    },
    runner_info: { timeout: 3600 },
    variables: [],
    steps: [],
    ...overrides,
  };
}

/** Collects log lines. */
export function logSink(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => lines.push(line), lines };
}

/** A stored (uncompressed) zip with arbitrary names and Unix modes, for hostile inputs. */
export function rawZip(entries: { name: string; data?: string; mode?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const data = Buffer.from(entry.data ?? "");
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
