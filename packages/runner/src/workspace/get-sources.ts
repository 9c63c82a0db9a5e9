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
import { mkdirSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { JobPayload } from "@conveyor/protocol";
import { STALE_GIT_FILES, TEMPLATE_CONFIG } from "./git-commands.js";
import { gitEnvironment, runProcess } from "./git-process.js";
import type { GitSettings } from "./git-settings.js";
import { ShellPool } from "./shell-pool.js";
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
  /** The environment for git; this process's, cleaned, when omitted (taken once, by the first job). */
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

/** The template's `config` file (TEMPLATE_CONFIG in git's config syntax). */
const TEMPLATE_CONFIG_TEXT = TEMPLATE_CONFIG.map(([key, value]) => {
  const [section, name] = [key.slice(0, key.indexOf(".")), key.slice(key.indexOf(".") + 1)];
  return `[${section}]\n\t${name} = ${value}\n`;
}).join("");

/**
 * This process's environment cleaned for git (gitEnvironment), taken by the first job and kept,
 * as the shell executor keeps the environment its steps inherit: copying `process.env` costs
 * more than the rest of a job's preparations.
 */
let processGitEnv: NodeJS.ProcessEnv | undefined;
function processGitEnvironment(): NodeJS.ProcessEnv {
  return (processGitEnv ??= gitEnvironment());
}

/** The shells that run get_sources scripts in that environment (see shell-pool.ts). */
let processGitShells: ShellPool | undefined;
function processGitShellPool(): ShellPool {
  return (processGitShells ??= new ShellPool(processGitEnvironment()));
}

export async function getSources(o: GetSourcesOptions): Promise<GetSourcesResult> {
  const { settings, payload, projectDir, log } = o;
  const env = o.env ?? processGitEnvironment();
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
      // The template's folder is inside `<project dir>.tmp`; the project's parent is made with it
      // when that is the project's sibling (as run-job lays them out). Synchronously: these
      // folders exist after the first job, and an asynchronous recursive mkdir costs this
      // process ~20 times more CPU than the system call.
      mkdirSync(templateDir, { recursive: true });
      if (dirname(o.tmpDir) !== dirname(projectDir)) {
        mkdirSync(dirname(projectDir), { recursive: true });
      }
      if (settings.strategy === "clone") await rm(projectDir, { recursive: true, force: true });
      log.info(
        settings.depth > 0
          ? `Fetching changes with git depth set to ${settings.depth}...`
          : "Fetching changes...",
      );
      break;
    }
  }

  if (fetch || settings.checkout || settings.submoduleStrategy !== "none") {
    // With fetch, the template's folder (inside it) made it already.
    if (!fetch) mkdirSync(o.tmpDir, { recursive: true });
    const failureFile = join(o.tmpDir, "get-sources-failed");
    // The script does the small file work itself (stale files, the template, the failure
    // record) with shell builtins: from here, each file operation is a trip through the thread
    // pool.
    const script = sourcesScript({
      payload,
      settings,
      projectDir,
      templateDir,
      remote: remoteOf(payload.git_info.repo_url),
      userAgent: o.userAgent ?? "conveyor",
      failureFile,
      fetch,
      ...(fetch
        ? {
            staleFiles: STALE_GIT_FILES.map((stale) => join(projectDir, ".git", stale)),
            templateConfig: { file: join(templateDir, "config"), text: TEMPLATE_CONFIG_TEXT },
          }
        : {}),
    });
    const scriptOptions = {
      cwd: fetch ? dirname(projectDir) : projectDir,
      signal: o.signal,
      output: (chunk: Buffer) => log.write(chunk),
    };
    // In this process's own environment, a waiting shell runs it (one spawn less per job).
    const run =
      o.env === undefined
        ? await processGitShellPool().run(script, scriptOptions)
        : await runProcess("sh", ["-c", script], { ...scriptOptions, env });
    if (run.exitCode !== 0) {
      const command = (await readFile(failureFile, "utf8").catch(() => "")) || "get_sources";
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
