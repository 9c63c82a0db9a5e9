/** What `conveyor` learns about the repository it runs in, from git and the file system. */
import { readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { EventSpec } from "@conveyor/pipeline";
import {
  type BatchCommand,
  gitAsync,
  gitBatch,
  repositoryRoot,
  splitFileList,
  WORKING_TREE_FILES_ARGS,
} from "./git.js";

export interface RepositoryFacts {
  root: string;
  /** `root` is a git work tree (else the files were walked). */
  isGit: boolean;
  files: string[];
  spec: EventSpec;
}

/**
 * The git commands whose answers make the facts, in the order `gitBatch` runs them: the root
 * first (the others run there), the tag only when HEAD is on no branch (a branch wins).
 */
const QUESTIONS: readonly BatchCommand[] = [
  { args: ["rev-parse", "--show-toplevel"] },
  { args: WORKING_TREE_FILES_ARGS },
  { args: ["symbolic-ref", "--short", "-q", "HEAD"] },
  { args: ["describe", "--tags", "--exact-match", "HEAD"], onlyIfFailed: 2 },
  { args: ["log", "-1", "--format=%H%x00%an%x00%ae%x00%aI%x00%B"] },
  { args: ["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"] },
  { args: ["remote", "get-url", "origin"] },
];

/** Each answer of QUESTIONS, asked one by one (when `sh` cannot run them as one batch). */
async function askOneByOne(cwd: string): Promise<(string | undefined)[]> {
  const gitRoot = await repositoryRoot(cwd);
  const answers = await Promise.all(
    QUESTIONS.slice(1).map((question) => gitAsync(gitRoot ?? cwd, question.args)),
  );
  return [gitRoot, ...answers];
}

/**
 * Asks git its questions in one batch: each start of a process costs milliseconds, and with a
 * process per question they add up.
 */
export async function inspectRepository(cwd: string): Promise<RepositoryFacts> {
  const answers =
    (await gitBatch(cwd, QUESTIONS, { cdToOutput: true })) ?? (await askOneByOne(cwd));
  const [gitRoot, listedFiles, branch, tag, log, originHead, remote] = answers;
  const root = gitRoot ?? cwd;
  const listed = listedFiles === undefined ? undefined : splitFileList(listedFiles);
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
