/**
 * Which files go into an artifacts archive or a cache, found the way gitlab-runner's helper
 * does it (commands/helpers/file_archiver.go): each `paths` entry is a doublestar pattern
 * relative to the project directory; every match is walked recursively without following
 * symlinks (directories count as entries too); `exclude` patterns are tested against each
 * walked path; `untracked` adds what `git ls-files -o` reports (ignored files included, as the
 * runner passes no `--exclude-standard`). Paths that resolve outside the project are refused
 * with the runner's warnings. Log lines follow the runner's wording.
 * Docs: https://docs.gitlab.com/ci/yaml/#artifactspaths , #artifactsexclude , #artifactsuntracked
 */
import { execFile } from "node:child_process";
import { lstatSync, readdirSync, type Stats } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { cleanPath, compileGlob, glob, GlobPatternError, hasMeta, splitPattern } from "./glob.js";
import { Yielder } from "./yielder.js";
import { sortByBytes } from "./zip-write.js";

export interface CollectOptions {
  /** The job's working directory on this host (`CI_PROJECT_DIR` as seen here). */
  projectDir: string;
  /** `artifacts:paths` / `cache:paths`, variables already expanded. */
  paths: string[];
  /** `artifacts:exclude`, variables already expanded. */
  exclude?: string[];
  /** Also take the files git reports as untracked. */
  untracked?: boolean;
  /** One line of the job log per call (no trailing newline). */
  log: (line: string) => void;
}

/**
 * The archive's entries: paths relative to `projectDir`, slash-separated, sorted as the runner
 * sorts them (byte order), directories and symlinks included. The project directory itself is
 * never an entry.
 */
export async function collectArtifactFiles(options: CollectOptions): Promise<string[]> {
  const collector = new Collector(options);
  for (const path of options.paths) await collector.processPath(path);
  if (options.untracked) await collector.processUntracked();
  for (const [rule, count] of collector.excluded) options.log(`${rule}: excluded ${count} files`);
  return sortByBytes([...collector.files].filter((f) => f !== "."));
}

class Collector {
  readonly files = new Set<string>();
  readonly excluded = new Map<string, number>();
  private readonly wd: string;
  private readonly excludeMatchers = new Map<string, ((p: string) => boolean) | Error>();
  private readonly yielder = new Yielder();

  constructor(private readonly options: CollectOptions) {
    this.wd = resolve(options.projectDir);
  }

  private warn(message: string): void {
    this.options.log(`WARNING: ${message}`);
  }

  async processPath(path: string): Promise<void> {
    if (path === "") {
      this.warn("No matching files. Path is empty.");
      return;
    }
    let pattern: string;
    try {
      pattern = this.relativeInProject(path);
    } catch (err) {
      this.warn(`processPath: ${(err as Error).message}`);
      return;
    }
    let matches: string[];
    try {
      matches = await glob(this.wd, pattern);
    } catch (err) {
      if (!(err instanceof GlobPatternError)) throw err;
      this.warn(`${path}: ${err.message}`);
      return;
    }
    let found = 0;
    for (const match of matches.sort()) {
      await this.walk(match, async (entry) => {
        if (await this.process(entry)) found++;
      });
    }
    if (found === 0) {
      this.warn(
        `${path}: no matching files. Ensure that the artifact path is relative to the working directory (${this.wd})`,
      );
    } else {
      this.options.log(`${path}: found ${found} matching artifact files and directories`);
    }
  }

  async processUntracked(): Promise<void> {
    let listing: string;
    try {
      listing = await gitUntracked(this.wd);
    } catch (err) {
      for (const line of (err as GitError).stderr?.split("\n") ?? []) {
        if (line.trim() !== "") this.options.log(line.trimEnd());
      }
      this.warn(`untracked: ${(err as Error).message}`);
      return;
    }
    let found = 0;
    for (const file of listing.split("\0")) {
      if (file === "") continue;
      await this.yielder.tick();
      if (await this.process(file)) found++;
    }
    if (found === 0) this.warn("untracked: no files");
    else this.options.log(`untracked: found ${found} files`);
  }

  /** `findRelativePathInProject`: the pattern relative to the project, or a refusal. */
  private relativeInProject(path: string): string {
    if (cleanPath(path) === cleanPath(this.wd)) return ".";
    let base = path;
    let rest = "";
    if (hasMeta(path)) ({ base, pattern: rest } = splitPattern(path));
    const abs = isAbsolute(base) ? cleanPath(base) : resolve(this.wd, base);
    const rel = relative(this.wd, abs) || ".";
    if (rel === ".." || rel.startsWith("../")) {
      throw new Error(`artifact path is not a subpath of project directory: ${path}`);
    }
    return cleanPath(rest === "" ? rel : `${rel}/${rest}`);
  }

  /** filepath.Walk from a match: the match itself, then everything below it (lstat, no follow). */
  private async walk(root: string, visit: (rel: string) => Promise<void>): Promise<void> {
    await this.yielder.tick();
    await visit(root);
    let info: Stats | undefined;
    try {
      info = lstatSync(join(this.wd, root), { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!info?.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(join(this.wd, root)).sort();
    } catch (err) {
      this.warn(`Walking ${root} ${(err as Error).message}`);
      return;
    }
    for (const name of names) await this.walk(root === "." ? name : `${root}/${name}`, visit);
  }

  /** Adds one candidate unless it lies outside the project, is excluded, or does not exist. */
  private async process(match: string): Promise<boolean> {
    const rel = relative(this.wd, resolve(this.wd, match)) || ".";
    if (rel.startsWith("../")) {
      this.warn(`${match}: not supported: outside build directory`);
      return false;
    }
    const rule = this.excludedBy(rel);
    if (rule !== undefined) {
      this.excluded.set(rule, (this.excluded.get(rule) ?? 0) + 1);
      return false;
    }
    try {
      if (!lstatSync(join(this.wd, rel), { throwIfNoEntry: false })) return false;
    } catch (err) {
      this.warn(`${match}: ${(err as Error).message}`);
      return false;
    }
    this.files.add(rel);
    return true;
  }

  /** The `exclude` entry that matches the path, as written in the job. */
  private excludedBy(rel: string): string | undefined {
    for (const rule of this.options.exclude ?? []) {
      let matcher = this.excludeMatchers.get(rule);
      if (matcher === undefined) {
        try {
          matcher = compileGlob(this.relativeInProject(rule));
        } catch (err) {
          matcher = err as Error;
        }
        this.excludeMatchers.set(rule, matcher);
      }
      if (matcher instanceof Error) {
        if (matcher instanceof GlobPatternError) continue;
        this.warn(`isExcluded: ${matcher.message}`);
        return undefined;
      }
      if (matcher(rel)) return rule;
    }
    return undefined;
  }
}

interface GitError extends Error {
  stderr?: string;
}

/** `git ls-files -o -z` in the project: untracked files, ignored ones included. */
function gitUntracked(cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      "git",
      ["ls-files", "-o", "-z"],
      { cwd, maxBuffer: 512 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const failure: GitError = new Error(
            typeof err.code === "number" ? `exit status ${err.code}` : err.message,
          );
          failure.stderr = stderr;
          reject(failure);
        } else {
          resolvePromise(stdout);
        }
      },
    );
  });
}
