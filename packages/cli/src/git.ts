/** Read-only questions to the `git` of the repository in the working directory. */
import { execFile, execFileSync } from "node:child_process";

/** Runs git with an argv array; undefined when git fails (not a repository, no such ref). */
export function git(cwd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 << 20,
    }).trimEnd();
  } catch {
    return undefined;
  }
}

/** `git` without blocking, so that independent questions run at the same time. */
export function gitAsync(cwd: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout) => {
      resolve(error ? undefined : stdout.trimEnd());
    });
  });
}

export function repositoryRoot(cwd: string): Promise<string | undefined> {
  return gitAsync(cwd, ["rev-parse", "--show-toplevel"]);
}

/** Tracked and untracked-but-not-ignored files, as the working tree holds them. */
export async function workingTreeFiles(root: string): Promise<string[] | undefined> {
  const out = await gitAsync(root, [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ]);
  return out === undefined ? undefined : out.split("\0").filter((path) => path.length > 0);
}

/** Paths that differ between `ref` and HEAD since their merge base; undefined if git cannot tell. */
export function changedSince(root: string, ref: string): string[] | undefined {
  const out = git(root, ["diff", "--name-only", "-z", `${ref}...HEAD`, "--"]);
  return out === undefined ? undefined : out.split("\0").filter((path) => path.length > 0);
}
