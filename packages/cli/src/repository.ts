/** What `conveyor` learns about the repository it runs in, from git and the file system. */
import { readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { EventSpec } from "@conveyor/pipeline";
import { git, repositoryRoot, workingTreeFiles } from "./git.js";

export interface RepositoryFacts {
  root: string;
  files: string[];
  spec: EventSpec;
}

export function inspectRepository(cwd: string): RepositoryFacts {
  const root = repositoryRoot(cwd) ?? cwd;
  const files = workingTreeFiles(root) ?? walk(root);
  const spec: EventSpec = { files };
  const branch = git(root, ["symbolic-ref", "--short", "-q", "HEAD"]);
  const tag = branch ? undefined : git(root, ["describe", "--tags", "--exact-match", "HEAD"]);
  if (tag) spec.tag = tag;
  else if (branch) spec.branch = branch;
  const sha = git(root, ["rev-parse", "HEAD"]);
  if (sha) spec.sha = sha;
  const log = git(root, ["log", "-1", "--format=%an%x00%ae%x00%aI%x00%B"]);
  if (log) {
    const [name = "", email = "", timestamp = "", ...message] = log.split("\0");
    spec.commitAuthor = { name, email };
    spec.commitTimestamp = timestamp;
    spec.commitMessage = message.join("\0").trim();
  }
  const originHead = git(root, ["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"]);
  if (originHead) spec.defaultBranch = originHead.replace(/^origin\//, "");
  const remote = git(root, ["remote", "get-url", "origin"]);
  const parsed = remote ? parseRemote(remote) : undefined;
  spec.project = parsed?.path ?? `local/${basename(root)}`;
  if (parsed?.serverUrl) spec.serverUrl = parsed.serverUrl;
  return { root, files, spec };
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
