/** Read-only questions to the `git` of the repository in the working directory. */
import { execFile, execFileSync } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";

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

/** The arguments of `git ls-files` for the files of the working tree (see workingTreeFiles). */
export const WORKING_TREE_FILES_ARGS: readonly string[] = [
  "ls-files",
  "-z",
  "--cached",
  "--others",
  "--exclude-standard",
];

/** Splits NUL-separated `git ls-files -z` output into paths. */
export function splitFileList(out: string): string[] {
  return out.split("\0").filter((path) => path.length > 0);
}

/** Tracked and untracked-but-not-ignored files, as the working tree holds them. */
export async function workingTreeFiles(root: string): Promise<string[] | undefined> {
  const out = await gitAsync(root, WORKING_TREE_FILES_ARGS);
  return out === undefined ? undefined : splitFileList(out);
}

/** Paths that differ between `ref` and HEAD since their merge base; undefined if git cannot tell. */
export function changedSince(root: string, ref: string): string[] | undefined {
  const out = git(root, ["diff", "--name-only", "-z", `${ref}...HEAD`, "--"]);
  return out === undefined ? undefined : splitFileList(out);
}

/** One git command of a batch (see gitBatch). */
export interface BatchCommand {
  args: readonly string[];
  /**
   * Run only when the command at this index failed (its answer is undefined); otherwise this
   * one is skipped and answers undefined too.
   */
  onlyIfFailed?: number;
}

/**
 * `bytes` random bytes from the kernel, in hex; undefined when /dev/urandom cannot be read. Read
 * directly: loading node:crypto would cost every `lint` and `plan` a few milliseconds, and a
 * batch runs `sh`, so there is a POSIX system and its /dev/urandom.
 */
function randomHex(bytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync("/dev/urandom", "r");
    const buffer = Buffer.alloc(bytes);
    return readSync(fd, buffer, 0, bytes, null) === bytes ? buffer.toString("hex") : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Quotes a word for a POSIX shell. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Several git commands run one after the other by a single `sh`, so that Conveyor starts one
 * process instead of one per question: each start of a child process costs this process
 * milliseconds (it forks a large address space), far more than git's own work here. The first
 * command runs in `cwd`; when `cdToOutput` is set and it succeeds, the others run in the folder
 * it printed (`rev-parse --show-toplevel`). Each answer is what `gitAsync` would give for that
 * command alone: its standard output without trailing whitespace, or undefined when it failed.
 * Undefined as a whole when `sh` could not run, or when no random marker could be made.
 */
export function gitBatch(
  cwd: string,
  commands: readonly BatchCommand[],
  options: { cdToOutput?: boolean } = {},
): Promise<(string | undefined)[] | undefined> {
  // A random marker ends each answer, with the command's exit status: no output can forge it.
  const marker = randomHex(16);
  if (marker === undefined) return Promise.resolve(undefined);
  const lines = ["exec 2>/dev/null"];
  commands.forEach((command, index) => {
    const run = `git ${command.args.map(shellWord).join(" ")}`;
    const end = `printf '\\000${marker}:%s\\000' "$s${index}"`;
    if (index === 0 && options.cdToOutput) {
      lines.push(`top=$(${run}); s0=$?; printf '%s' "$top"; ${end}`);
      lines.push(`if [ $s0 -eq 0 ]; then cd "$top" || exit 1; fi`);
    } else if (command.onlyIfFailed !== undefined) {
      const other = `$s${command.onlyIfFailed}`;
      lines.push(`if [ "${other}" != 0 ]; then ${run}; s${index}=$?; else s${index}=1; fi; ${end}`);
    } else {
      lines.push(`${run}; s${index}=$?; ${end}`);
    }
  });
  return new Promise((resolve) => {
    execFile(
      "sh",
      ["-c", lines.join("\n")],
      { cwd, encoding: "utf8", maxBuffer: 64 << 20 },
      (error, stdout) => {
        if (error) {
          resolve(undefined);
          return;
        }
        const parts = stdout.split(new RegExp(`\\x00${marker}:(\\d+)\\x00`));
        const answers: (string | undefined)[] = [];
        for (let i = 0; i < commands.length; i++) {
          const out = parts[2 * i];
          const status = parts[2 * i + 1];
          answers.push(out === undefined || status !== "0" ? undefined : out.trimEnd());
        }
        resolve(answers);
      },
    );
  });
}
