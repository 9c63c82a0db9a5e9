/**
 * For the git hosting tests: a git client isolated from the machine's configuration (its own
 * HOME, no system config, no prompts, fixed identity) and work trees to commit from.
 */
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class GitClient {
  private constructor(readonly home: string) {}

  static async open(): Promise<GitClient> {
    return new GitClient(await mkdtemp(join(tmpdir(), "conveyor-git-client-")));
  }

  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith("GIT_")) env[key] = value;
    }
    return {
      ...env,
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, ".config"),
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      GIT_AUTHOR_NAME: "Ada Lovelace",
      GIT_AUTHOR_EMAIL: "ada@example.com",
      GIT_AUTHOR_DATE: "2024-03-01T12:00:00Z",
      GIT_COMMITTER_NAME: "Ada Lovelace",
      GIT_COMMITTER_EMAIL: "ada@example.com",
      GIT_COMMITTER_DATE: "2024-03-01T12:00:00Z",
    };
  }

  /** Runs git in `cwd`; never rejects on a failing exit code. */
  run(cwd: string, args: readonly string[]): Promise<ClientResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("git", args, { cwd, env: this.env(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  /** Runs git and rejects with its stderr when it fails; answers trimmed stdout. */
  async ok(cwd: string, args: readonly string[]): Promise<string> {
    const result = await this.run(cwd, args);
    if (result.code !== 0) {
      throw new Error(`git ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
    }
    return result.stdout.trim();
  }

  /** A new work tree on branch `main`. */
  async workTree(name: string): Promise<string> {
    const dir = join(this.home, name);
    await mkdir(dir, { recursive: true });
    await this.ok(dir, ["init", "--quiet", "--initial-branch=main"]);
    return dir;
  }

  /** Writes the files (path → content), commits them all and answers the commit's SHA. */
  async commit(
    dir: string,
    files: Record<string, string | Buffer>,
    message = "change",
  ): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await this.ok(dir, ["add", "--all"]);
    await this.ok(dir, ["commit", "--quiet", "--allow-empty", "-m", message]);
    return this.ok(dir, ["rev-parse", "HEAD"]);
  }

  async dispose(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}
