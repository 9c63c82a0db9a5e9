/**
 * Copies one pushed ref from the repository a webhook came from into the project's hosted bare
 * repository: `git fetch --no-tags -- <clone_url> +<ref>:<ref>`, run with an argument array (no
 * shell) in the repository's directory. The `ext::` transport stays forbidden, local
 * repositories are refused unless allowed, and git never prompts for credentials. Failures say what failed but never include git's output, which may
 * repeat a clone URL's credentials.
 */
import { spawn } from "node:child_process";

export type RefFetcher = (repositoryPath: string, cloneUrl: string, ref: string) => Promise<void>;

export interface GitFetchOptions {
  /** Kill git after this long (ms); default 10 minutes. */
  timeoutMs?: number;
  /** Let git read `file://` URLs and local paths (default: refused by git itself too). */
  allowLocal?: boolean;
}

export function gitRefFetcher(options: GitFetchOptions = {}): RefFetcher {
  return (repositoryPath, cloneUrl, ref) =>
    new Promise((resolve, reject) => {
      const git = spawn(
        "git",
        [
          "-c",
          "protocol.ext.allow=never",
          "-c",
          `protocol.file.allow=${options.allowLocal ? "always" : "never"}`,
          "fetch",
          "--no-tags",
          "--quiet",
          "--",
          cloneUrl,
          `+${ref}:${ref}`,
        ],
        {
          cwd: repositoryPath,
          env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PROTOCOL_FROM_USER: "0" },
          stdio: ["ignore", "ignore", "ignore"],
          timeout: options.timeoutMs ?? 10 * 60 * 1000,
        },
      );
      git.once("error", () => reject(new Error("git could not be run")));
      git.once("close", (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`git fetch of ${ref} failed (${signal ?? `exit ${code}`})`));
      });
    });
}
