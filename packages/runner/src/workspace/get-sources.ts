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
import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { JobPayload } from "@conveyor/protocol";
import {
  checkoutArgs,
  cleanArgs,
  fetchArgs,
  fetchCommitArgs,
  GIT_BASE_ARGS,
  initArgs,
  STALE_GIT_FILES,
  submoduleCommands,
  submoduleNotice,
  TEMPLATE_CONFIG,
} from "./git-commands.js";
import { gitEnvironment, runGit } from "./git-process.js";
import type { GitSettings } from "./git-settings.js";
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
  const userAgent = o.userAgent ?? "conveyor";
  const git = (args: readonly string[], cwd: string, quiet = false) =>
    runGit([...GIT_BASE_ARGS, ...args], {
      cwd,
      env,
      signal: o.signal,
      ...(quiet ? {} : { output: (chunk: Buffer) => log.write(chunk) }),
    });
  const failed = (exitCode: number | null, args: readonly string[]): GetSourcesResult => ({
    ok: false,
    exitCode,
    command: `git ${args.join(" ")}`,
  });

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
      const templateDir = join(o.tmpDir, "git-template");
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
      const init = initArgs(projectDir, templateDir, payload.git_info.repo_object_format);
      const initRun = await git(init, dirname(projectDir));
      if (initRun.exitCode !== 0) return failed(initRun.exitCode, init);

      const remote = remoteOf(payload.git_info.repo_url);
      const add = await git(["remote", "add", "origin", remote], projectDir, true);
      if (add.exitCode === 0) log.info("Created fresh repository.");
      else {
        const setUrl = ["remote", "set-url", "origin", remote];
        const run = await git(setUrl, projectDir);
        if (run.exitCode !== 0) return failed(run.exitCode, ["remote", "set-url", "origin"]);
      }
      const unshallow = await exists(join(projectDir, ".git", "shallow"));
      const fetch = fetchArgs(settings, payload.git_info.refspecs, userAgent, unshallow);
      const fetchRun = await git(fetch, projectDir);
      if (fetchRun.exitCode !== 0) return failed(fetchRun.exitCode, fetch);
      break;
    }
  }

  if (settings.checkout) {
    const sha = payload.git_info.sha;
    log.info(
      `Checking out ${sha.slice(0, 8)} as detached HEAD (ref is ${payload.git_info.ref})...`,
    );
    const known = await git(["cat-file", "-e", `${sha}^{commit}`], projectDir, true);
    if (known.exitCode !== 0) {
      // The refspecs did not bring the commit (a local run on a commit that is no branch tip).
      await git(fetchCommitArgs(settings, sha, userAgent), projectDir);
    }
    const checkout = checkoutArgs(sha);
    const run = await git(checkout, projectDir);
    if (run.exitCode !== 0) return failed(run.exitCode, checkout);
    const clean = cleanArgs(settings);
    if (clean) {
      const cleanRun = await git(clean, projectDir);
      if (cleanRun.exitCode !== 0) return failed(cleanRun.exitCode, clean);
    }
  } else {
    log.info("Skipping Git checkout");
  }

  const submodules = settings.submoduleStrategy;
  if (typeof submodules === "object") {
    throw new Error("unknown GIT_SUBMODULE_STRATEGY");
  }
  if (submodules === "none") {
    log.info("Skipping Git submodules setup");
  } else {
    const recursive = submodules === "recursive";
    log.info(submoduleNotice(recursive, settings.submoduleDepth));
    for (const args of submoduleCommands(settings, recursive)) {
      const run = await git(args, projectDir);
      if (run.exitCode !== 0) return failed(run.exitCode, args);
    }
  }

  if (o.workingTree !== undefined && settings.checkout) {
    log.info(`Copying the working tree of ${o.workingTree} (uncommitted changes included)...`);
    await overlayWorkingTree({ source: o.workingTree, projectDir, env, signal: o.signal });
  }
  return { ok: true };
}
