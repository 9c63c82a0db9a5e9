/**
 * The git part of get_sources as one POSIX shell script, as gitlab-runner writes its
 * get_sources stage (`shells/abstract.go` `writeGetSourcesScript`): init the repository, point
 * `origin` at the project, fetch the refspecs, check out the commit, clean, update submodules,
 * with the runner's notices in between. One shell instead of a process per git command: each
 * spawn from the runner costs milliseconds of its own CPU. When a command fails the script
 * writes that command to `failureFile` and exits with its code. Pure: text only.
 */
import type { JobPayload } from "@conveyor/protocol";
import { shellQuote } from "../script/shell-quote.js";
import { infoLine } from "../trace/log-format.js";
import {
  checkoutArgs,
  cleanArgs,
  fetchArgs,
  fetchCommitArgs,
  GIT_BASE_ARGS,
  initArgs,
  submoduleCommands,
  submoduleNotice,
} from "./git-commands.js";
import type { GitSettings } from "./git-settings.js";

export interface SourcesScriptInputs {
  payload: JobPayload;
  settings: GitSettings;
  projectDir: string;
  templateDir: string;
  /** The remote as git sees it (remoteOf). */
  remote: string;
  /**
   * The repository was fetched shallow before (`.git/shallow` exists); undefined: the script
   * looks for `.git/shallow` itself before it fetches.
   */
  unshallow?: boolean;
  userAgent: string;
  /** Where the failing command is written; the script empties it first. */
  failureFile: string;
  /** Fetch (clone/fetch strategies) before the checkout. */
  fetch: boolean;
  /** Files a killed git leaves behind, removed first (runner `writeGitCleanup`). */
  staleFiles?: readonly string[];
  /** The git template's `config`, written first (its folder must exist). */
  templateConfig?: { file: string; text: string };
}

function gitLine(args: readonly string[]): string {
  return ["git", ...GIT_BASE_ARGS, ...args].map(shellQuote).join(" ");
}

function notice(text: string): string {
  return `printf '%s' ${shellQuote(infoLine(text))}`;
}

/** Runs the command; on failure records `shown` and exits with the command's code. */
function checked(args: readonly string[], failureFile: string, shown = args): string {
  const record = `printf '%s' ${shellQuote(`git ${shown.join(" ")}`)} > ${shellQuote(failureFile)}`;
  return `${gitLine(args)} || { code=$?; ${record}; exit $code; }`;
}

/**
 * The file work before git runs, in the shell's builtins (no process in the common case, where
 * no stale file is there): empty the failure record, remove stale files, write the template.
 */
function preludeLines(o: SourcesScriptInputs): string[] {
  const lines = [`: > ${shellQuote(o.failureFile)} || exit 1`];
  const stale = o.staleFiles ?? [];
  if (stale.length > 0) {
    const record = `printf '%s' ${shellQuote("rm -f")} > ${shellQuote(o.failureFile)}`;
    lines.push(
      `for f in ${stale.map(shellQuote).join(" ")}; do`,
      `  if [ -e "$f" ] || [ -h "$f" ]; then rm -f "$f" || { code=$?; ${record}; exit $code; }; fi`,
      "done",
    );
  }
  if (o.templateConfig) {
    lines.push(
      `printf '%s' ${shellQuote(o.templateConfig.text)} > ${shellQuote(o.templateConfig.file)} || exit 1`,
    );
  }
  return lines;
}

export function sourcesScript(o: SourcesScriptInputs): string {
  const { settings, payload } = o;
  const lines = ["exec 2>&1", ...preludeLines(o)];
  if (o.fetch) {
    const init = initArgs(o.projectDir, o.templateDir, payload.git_info.repo_object_format);
    // Whether `git init` makes a new repository (no `.git` yet): then there is no `origin` to
    // update and no ref to compare, and asking git would only cost processes.
    lines.push(
      `if [ -e ${shellQuote(`${o.projectDir}/.git`)} ]; then conveyor_fresh=0; else conveyor_fresh=1; fi`,
    );
    lines.push(checked(init, o.failureFile));
    lines.push(`cd ${shellQuote(o.projectDir)} || exit 1`);
    // A reused repository has `origin` already: set its URL; a fresh one gets it added. One git
    // process either way (the runner tries `remote add` first; the outcome is the same).
    const add = ["remote", "add", "origin", o.remote];
    lines.push(
      `if [ "$conveyor_fresh" = 1 ] || ! ${gitLine(["remote", "set-url", "origin", o.remote])} >/dev/null 2>&1; then`,
      `  ${checked(add, o.failureFile, ["remote", "add", "origin"])}`,
      `  ${notice("Created fresh repository.")}`,
      "fi",
    );
    const fetchLine = (unshallow: boolean) =>
      checked(
        fetchArgs(settings, payload.git_info.refspecs, o.userAgent, unshallow),
        o.failureFile,
      );
    // `--unshallow` only matters to a full-depth fetch (fetchArgs).
    const fetch =
      o.unshallow !== undefined || settings.depth > 0
        ? fetchLine(o.unshallow === true)
        : `if [ -e .git/shallow ]; then ${fetchLine(true)}; else ${fetchLine(false)}; fi`;
    const target = upToDateRef(payload, settings);
    if (target === undefined) {
      lines.push(fetch);
    } else {
      // A reused checkout whose ref already points at the job's commit: that fetch would change
      // nothing (a no-op fetch prints nothing either), and it costs a handful of processes. Only
      // a ref the remote moved since the pipeline started would differ. The ref is read from its
      // file when git keeps it as one (a loose ref wins over a packed one), with the shell's
      // `read`; otherwise (packed refs, reftable) git is asked.
      const sha = shellQuote(payload.git_info.sha);
      const asked = `[ "$(${gitLine(["rev-parse", "-q", "--verify", `${target}^{commit}`])} 2>/dev/null)" = ${sha} ]`;
      lines.push(
        `if [ "$conveyor_fresh" = 1 ]; then`,
        `  ${fetch}`,
        `elif { read -r conveyor_ref < ${shellQuote(`.git/${target}`)}; } 2>/dev/null; then`,
        `  [ "$conveyor_ref" = ${sha} ] || ${fetch}`,
        "else",
        `  ${asked} || ${fetch}`,
        "fi",
      );
    }
  } else {
    lines.push(`cd ${shellQuote(o.projectDir)} || exit 1`);
  }
  if (settings.checkout) {
    const sha = payload.git_info.sha;
    lines.push(
      notice(
        `Checking out ${sha.slice(0, 8)} as detached HEAD (ref is ${payload.git_info.ref})...`,
      ),
      // The refspecs may not bring the commit (a local run on a commit that is no branch tip):
      // when the checkout cannot find it, fetch it by id and check out again.
      `if ! ${gitLine(checkoutArgs(sha))} 2>/dev/null; then`,
      `  ${gitLine(fetchCommitArgs(settings, sha, o.userAgent))}`,
      `  ${checked(checkoutArgs(sha), o.failureFile)}`,
      "fi",
    );
    const clean = cleanArgs(settings);
    if (clean) lines.push(checked(clean, o.failureFile));
  } else {
    lines.push(notice("Skipping Git checkout"));
  }
  const submodules = settings.submoduleStrategy;
  if (submodules === "none") {
    lines.push(notice("Skipping Git submodules setup"));
  } else if (submodules === "normal" || submodules === "recursive") {
    const recursive = submodules === "recursive";
    lines.push(notice(submoduleNotice(recursive, settings.submoduleDepth)));
    for (const args of submoduleCommands(settings, recursive)) {
      lines.push(checked(args, o.failureFile));
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The local ref a shallow fetch of exactly one ref writes (`+refs/heads/main:refs/remotes/origin/main`),
 * when checking it first can stand in for the fetch; undefined for wildcard or several refspecs
 * and for full-depth fetches (which may unshallow).
 */
function upToDateRef(payload: JobPayload, settings: GitSettings): string | undefined {
  const refspecs = payload.git_info.refspecs;
  // The runner's default GIT_FETCH_EXTRA_FLAGS (`--prune --quiet`) change nothing for one ref;
  // other flags (`--tags`, …) might, so then the fetch always runs.
  const plainFlags = settings.fetchFlags.every((flag) => flag === "--prune" || flag === "--quiet");
  if (settings.depth <= 0 || refspecs.length !== 1 || !plainFlags) {
    return undefined;
  }
  const match = /^\+?([^:*]+):(refs\/[^:*]+)$/.exec(refspecs[0] ?? "");
  return match?.[2];
}
