/**
 * Writes a set of files into a fresh git repository with one commit on `main`, an `origin`
 * remote that is never contacted and `origin/HEAD` → `origin/main`, so that every tool agrees
 * on the project path and the default branch without a network. Fixed author, committer and
 * dates, and no user or system git configuration: the same files always give the same commit.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const FIXED_DATE = "2024-06-11T12:00:00+00:00";
const ORIGIN = "https://gitlab.example.test/bench/monorepo.git";

function gitRun(cwd, args) {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      GIT_AUTHOR_DATE: FIXED_DATE,
      GIT_COMMITTER_DATE: FIXED_DATE,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
    },
  }).trim();
}

/**
 * Writes `files` (a Map of path → text) as a repository in `dir` (emptied first), or in a new
 * temporary directory named after `prefix`. Returns { dir, sha }.
 */
export function writeGitRepository(files, { dir, prefix = "conveyor-bench-", message }) {
  const root = dir ?? mkdtempSync(join(tmpdir(), prefix));
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  gitRun(root, ["init", "-q", "-b", "main"]);
  gitRun(root, ["config", "user.name", "Bench Bot"]);
  gitRun(root, ["config", "user.email", "bench@example.test"]);
  gitRun(root, ["config", "commit.gpgsign", "false"]);
  gitRun(root, ["add", "-A"]);
  gitRun(root, ["commit", "-q", "-m", message]);
  gitRun(root, ["remote", "add", "origin", ORIGIN]);
  gitRun(root, ["update-ref", "refs/remotes/origin/main", "HEAD"]);
  gitRun(root, ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
  return { dir: root, sha: gitRun(root, ["rev-parse", "HEAD"]) };
}

/** Removes everything git does not track (ignored files too): the state a run left behind. */
export function cleanRepository(dir) {
  gitRun(dir, ["clean", "-ffdxq"]);
}
