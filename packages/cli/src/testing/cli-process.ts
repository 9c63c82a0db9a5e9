/**
 * Test kit for the `conveyor` command as users meet it: the real bin script in a child process
 * and real git repositories in temporary folders.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CONVEYOR_BIN = fileURLToPath(new URL("../../bin/conveyor.js", import.meta.url));
/** The command npm links onto the PATH: a shell script that starts CONVEYOR_BIN. */
export const CONVEYOR_LAUNCHER = fileURLToPath(new URL("../../bin/conveyor", import.meta.url));

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `conveyor ARGS` in `cwd` and waits for it. */
export function conveyor(cwd: string, ...args: string[]): CommandResult {
  const result = spawnSync(process.execPath, [CONVEYOR_BIN, ...args], { cwd, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same without blocking the test's event loop (for commands that run jobs). */
export function conveyorAsync(cwd: string, ...args: string[]): Promise<CommandResult> {
  return runAsync(process.execPath, [CONVEYOR_BIN, ...args], { cwd });
}

/** Runs `command args` to its end without blocking the test's event loop. */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export const TEST_AUTHOR = ["-c", "user.name=Test", "-c", "user.email=t@example.test"];

/** Runs git in `dir` (as a test author). */
export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", [...TEST_AUTHOR, ...args], { cwd: dir, encoding: "utf8" });
}

/** Writes files (paths relative to `dir`), creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A new git repository on `branch` with the files committed and an `origin` remote. */
export function repository(files: Record<string, string>, branch = "main"): string {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-cli-"));
  writeFiles(dir, files);
  git(dir, "init", "-q", "-b", branch);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial");
  git(dir, "remote", "add", "origin", "git@gitlab.example.test:team/shop.git");
  return dir;
}
