/** What `conveyor` learns about the repository it runs in, from git and the file system. */
import { readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { EventSpec } from "@conveyor/pipeline";
import { gitAsync, repositoryRoot, workingTreeFiles } from "./git.js";

export interface RepositoryFacts {
  root: string;
  /** `root` is a git work tree (else the files were walked). */
  isGit: boolean;
  files: string[];
  spec: EventSpec;
}

/** Asks git its questions at the same time: each spawn costs milliseconds, and they add up. */
export async function inspectRepository(cwd: string): Promise<RepositoryFacts> {
  const gitRoot = await repositoryRoot(cwd);
  const root = gitRoot ?? cwd;
  const [listed, branch, tag, log, originHead, remote] = await Promise.all([
    workingTreeFiles(root),
    gitAsync(root, ["symbolic-ref", "--short", "-q", "HEAD"]),
    gitAsync(root, ["describe", "--tags", "--exact-match", "HEAD"]),
    gitAsync(root, ["log", "-1", "--format=%H%x00%an%x00%ae%x00%aI%x00%B"]),
    gitAsync(root, ["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"]),
    gitAsync(root, ["remote", "get-url", "origin"]),
  ]);
  const files = listed ?? walk(root);
  const spec: EventSpec = { files };
  if (branch) spec.branch = branch;
  else if (tag) spec.tag = tag;
  if (log) {
    const [sha = "", name = "", email = "", timestamp = "", ...message] = log.split("\0");
    if (sha) spec.sha = sha;
    spec.commitAuthor = { name, email };
    spec.commitTimestamp = timestamp;
    spec.commitMessage = message.join("\0").trim();
  }
  if (originHead) spec.defaultBranch = originHead.replace(/^origin\//, "");
  const parsed = remote ? parseRemote(remote) : undefined;
  spec.project = parsed?.path ?? `local/${basename(root)}`;
  if (parsed?.serverUrl) spec.serverUrl = parsed.serverUrl;
  return { root, isGit: gitRoot !== undefined, files, spec };
}

/** `git@host:group/project.git` or `https://host/group/project.git` → project path and server. */
export function parseRemote(url: string): { path: string; serverUrl?: string } | undefined {
  const scp = /^[^@/]+@([^:/]+):(.+?)(?:\.git)?\/?$/.exec(url);
  if (scp) return { path: scp[2] as string, serverUrl: `https://${scp[1]}` };
  try {
    const parsed = new URL(url);
    const path = parsed.pathname
      .replace(/^\/+/, "")
      .replace(/\.git\/?$/, "")
      .replace(/\/+$/, "");
    if (!path) return undefined;
    const serverUrl =
      parsed.protocol === "file:"
        ? undefined
        : `${parsed.protocol === "http:" ? "http" : "https"}://${parsed.host}`;
    return serverUrl ? { path, serverUrl } : { path };
  } catch {
    return undefined;
  }
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else out.push(relative(root, full));
    }
  };
  visit(root);
  return out.sort();
}
