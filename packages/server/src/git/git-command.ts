/**
 * Runs the `git` binary against one bare repository: always an argument array (never a shell),
 * always `--git-dir` explicit, and an environment without the caller's `GIT_*` variables so a
 * `GIT_DIR` or `GIT_INDEX_FILE` of the server's own process cannot redirect a command.
 */
import { spawn } from "node:child_process";

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The server's environment minus every `GIT_*` variable, plus `extra`. */
export function gitEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("GIT_")) env[key] = value;
  }
  // Nothing the server runs may wait for a password on a terminal.
  env.GIT_TERMINAL_PROMPT = "0";
  return { ...env, ...extra };
}

/** Runs `git --git-dir=<gitDir> <args>`; resolves with the exit code, never rejects on it. */
export function runGit(
  gitDir: string | undefined,
  args: readonly string[],
  input?: string | Buffer,
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", gitDir === undefined ? args : [`--git-dir=${gitDir}`, ...args], {
      env: gitEnvironment(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    // A command that exits before reading all its input closes the pipe: not our failure.
    child.stdin.on("error", () => undefined);
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.end(input);
  });
}

/** Like runGit, but rejects with git's message when the command fails. */
export async function git(
  gitDir: string | undefined,
  args: readonly string[],
  input?: string | Buffer,
): Promise<Buffer> {
  const result = await runGit(gitDir, args, input);
  if (result.code !== 0) {
    throw new Error(`git ${args[0] ?? ""} failed (${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Splits `-z` output into its entries. */
export function nulSeparated(output: Buffer): string[] {
  return output
    .toString("utf8")
    .split("\0")
    .filter((entry) => entry.length > 0);
}

/** A full or abbreviated hexadecimal object name (SHA-1 or SHA-256), nothing git could parse as an option or a revision expression. */
export function isObjectName(value: string): boolean {
  return /^[0-9a-f]{4,64}$/i.test(value);
}
