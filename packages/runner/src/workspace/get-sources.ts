/**
 * The get_sources stage on this host, as gitlab-runner's get_sources script does it
 * (`shells/abstract.go` `writeGetSourcesScript`, `handleGetSourcesStrategy`,
 * `writeRefspecFetchCmd`, `writeCheckoutCmd`, `writeSubmoduleUpdateCmds`): `GIT_STRATEGY`
 * clone (remove, then fetch into a fresh repository), fetch (reuse the repository), none (leave
 * the directory as it is), empty (an empty directory); a fetch of `git_info.refspecs` at
 * `GIT_DEPTH`; a detached checkout of `git_info.sha` and `git clean` with `GIT_CLEAN_FLAGS`.
 * Optionally the checkout is then overlaid with a local working tree (see working-tree.ts).
 * The repository URL may be a local path, a `file://` URL or http(s).
 * Docs: https://docs.gitlab.com/ci/runners/configure_runners/#git-strategy
 */
import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { JobPayload } from "@conveyor/protocol";
import { STALE_GIT_FILES, TEMPLATE_CONFIG } from "./git-commands.js";
import { gitEnvironment, runProcess } from "./git-process.js";
import type { GitSettings } from "./git-settings.js";
import { sourcesScript } from "./sources-script.js";
import { overlayWorkingTree } from "./working-tree.js";

/** Where get_sources writes its messages and git's output. */
export interface SourcesLog {
  write(chunk: Uint8Array): void;
  /** A green notice line. */
  info(text: string): void;
}

export interface GetSourcesOptions {
  payload: JobPayload;
  settings: GitSettings;
  /** The project directory on this host. */
  projectDir: string;
  /** `<project dir>.tmp` on this host (the git template lives there). */
  tmpDir: string;
  /** A local working tree to copy over the checkout (uncommitted changes included). */
  workingTree?: string;
  log: SourcesLog;
  signal: AbortSignal;
  /** The environment for git; this process's, cleaned, when omitted. */
  env?: NodeJS.ProcessEnv;
  /** `http.userAgent` for fetches. */
  userAgent?: string;
}

export type GetSourcesResult =
  | { ok: true }
  /** A git command failed: the job fails like a failed get_sources script. */
  | { ok: false; exitCode: number | null; command: string };

/** The remote as git should see it: local paths made absolute. */
export function remoteOf(repoUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repoUrl) || /^[^/]+@[^/]+:/.test(repoUrl)) return repoUrl;
  return isAbsolute(repoUrl) ? repoUrl : resolve(repoUrl);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function getSources(o: GetSourcesOptions): Promise<GetSourcesResult> {
  const { settings, payload, projectDir, log } = o;
  const env = o.env ?? gitEnvironment();
  if (typeof settings.submoduleStrategy === "object") {
    throw new Error("unknown GIT_SUBMODULE_STRATEGY");
  }
  const fetch = settings.strategy === "clone" || settings.strategy === "fetch";
  const templateDir = join(o.tmpDir, "git-template");
  switch (settings.strategy) {
    case "none":
      log.info("Skipping Git repository setup");
      await mkdir(projectDir, { recursive: true });
      break;
    case "empty":
      log.info("Skipping Git repository setup and creating an empty build directory");
      await rm(projectDir, { recursive: true, force: true });
      await mkdir(projectDir, { recursive: true });
      break;
    case "clone":
    case "fetch": {
      for (const stale of STALE_GIT_FILES) {
        await rm(join(projectDir, ".git", stale), { force: true });
      }
      await mkdir(templateDir, { recursive: true });
      await writeFile(
        join(templateDir, "config"),
        TEMPLATE_CONFIG.map(([key, value]) => {
          const [section, name] = [key.slice(0, key.indexOf(".")), key.slice(key.indexOf(".") + 1)];
          return `[${section}]\n\t${name} = ${value}\n`;
        }).join(""),
      );
      if (settings.strategy === "clone") await rm(projectDir, { recursive: true, force: true });
      log.info(
        settings.depth > 0
          ? `Fetching changes with git depth set to ${settings.depth}...`
          : "Fetching changes...",
      );
      await mkdir(dirname(projectDir), { recursive: true });
      break;
    }
  }

  if (fetch || settings.checkout || settings.submoduleStrategy !== "none") {
    await mkdir(o.tmpDir, { recursive: true });
    const failureFile = join(o.tmpDir, "get-sources-failed");
    await rm(failureFile, { force: true });
    const script = sourcesScript({
      payload,
      settings,
      projectDir,
      templateDir,
      remote: remoteOf(payload.git_info.repo_url),
      unshallow: fetch && (await exists(join(projectDir, ".git", "shallow"))),
      userAgent: o.userAgent ?? "conveyor",
      failureFile,
      fetch,
    });
    const run = await runProcess("sh", ["-c", script], {
      cwd: fetch ? dirname(projectDir) : projectDir,
      env,
      signal: o.signal,
      output: (chunk: Buffer) => log.write(chunk),
    });
    if (run.exitCode !== 0) {
      const command = await readFile(failureFile, "utf8").catch(() => "get_sources");
      return { ok: false, exitCode: run.exitCode, command };
    }
  } else {
    log.info("Skipping Git checkout");
    log.info("Skipping Git submodules setup");
  }

  if (o.workingTree !== undefined && settings.checkout) {
    log.info(`Copying the working tree of ${o.workingTree} (uncommitted changes included)...`);
    await overlayWorkingTree({ source: o.workingTree, projectDir, env, signal: o.signal });
  }
  return { ok: true };
}
