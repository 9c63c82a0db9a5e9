/**
 * The digest behind `cache:key:files` and `cache:key:files_commits`, computed from a git
 * repository at the pipeline's commit as GitLab does (lib/gitlab/ci/pipeline/seed/build/cache.rb):
 * - `files`: the blob ids of the listed files (patterns with `*` expanded against the commit's
 *   tracked files), missing files, directories and `./`-relative paths ignored;
 * - `files_commits`: the id of the last commit that changed each file.
 * Both go through `digestFromHashes`. Undefined when nothing was found (the key becomes
 * `<prefix>-default`).
 */
import { execFile } from "node:child_process";
import { compileGlob } from "../artifacts/glob.js";
import { digestFromHashes } from "./key.js";

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }, (err, out) =>
      err ? reject(err) : resolve(out),
    );
  });
}

function usable(paths: string[] | undefined): string[] {
  return [...new Set((paths ?? []).filter((p) => typeof p === "string" && p.trim() !== ""))];
}

export interface CacheFilesDigestOptions {
  /** A git work tree or bare repository holding `sha`. */
  repoDir: string;
  /** The pipeline's commit. */
  sha: string;
  files?: string[];
  filesCommits?: string[];
}

export async function cacheFilesDigest(
  options: CacheFilesDigestOptions,
): Promise<string | undefined> {
  const { repoDir, sha } = options;
  if (options.files) {
    const patterns = usable(options.files);
    const paths: string[] = [];
    let tracked: string[] | undefined;
    for (const pattern of patterns) {
      if (!pattern.includes("*")) {
        paths.push(pattern);
        continue;
      }
      tracked ??= (await git(repoDir, ["ls-tree", "-r", "-z", "--name-only", sha]))
        .split("\0")
        .filter((p) => p !== "");
      const matches = compileGlob(pattern);
      paths.push(...tracked.filter(matches));
    }
    const ids: string[] = [];
    for (const path of [...new Set(paths)]) {
      if (path.startsWith("./") || path.endsWith("/")) continue;
      const line = await git(repoDir, ["ls-tree", "-z", sha, "--", path]).catch(() => "");
      const match = /^\d+ blob ([0-9a-f]+)\t/.exec(line);
      if (match) ids.push(match[1]!);
    }
    return digestFromHashes(ids);
  }
  if (options.filesCommits) {
    const ids: string[] = [];
    for (const path of usable(options.filesCommits)) {
      const out = await git(repoDir, ["log", "-1", "--format=%H", sha, "--", path]).catch(() => "");
      if (out.trim() !== "") ids.push(out.trim());
    }
    return digestFromHashes(ids);
  }
  return undefined;
}
