/**
 * What pipeline creation reads from one bare repository (the `CommitReader` port), asked of
 * the `git` binary. Commits are named by hexadecimal SHA only; anything else reads as unknown.
 *
 * One `git` process per call, not a long-lived `git cat-file --batch` per repository: measured
 * on a 50-file repository, a spawned `cat-file --batch -z` read takes about 3 ms and a read
 * through a resident batch process about 0.2 ms. Creating a pipeline reads a handful of files
 * (the configuration and its includes) and spawns for the listing, the diff and the commit
 * anyway, so the resident process would save a few milliseconds per pipeline while adding a
 * lifecycle (idle shutdown, crash recovery, removal of the repository) and a request queue.
 * Per-call processes are also trivially correct under concurrent calls.
 */
import type { ConfigSource } from "@conveyor/pipeline";
import { type CommitFacts, type CommitReader, ZERO_SHA } from "../pipelines/trigger.js";
import {
  commitConfigSource,
  type ProjectLookup,
  type RemoteFetcher,
  treePath,
} from "./commit-config-source.js";
import { git, isObjectName, nulSeparated, runGit } from "./git-command.js";
import { isRefShortName } from "./ref-names.js";
import { type RefName, snapshotRefs } from "./ref-snapshot.js";

export interface ResolvedRef {
  ref: RefName;
  sha: string;
}

export interface ReaderOptions {
  /** For `include:project`; undefined refuses such includes. */
  projects?: ProjectLookup;
  /** For `include:remote`; undefined refuses such includes. */
  fetchRemote?: RemoteFetcher;
  readTemplate?: (name: string) => Promise<string | undefined>;
}

export class RepositoryReader implements CommitReader {
  constructor(
    readonly gitDir: string,
    private readonly options: ReaderOptions = {},
  ) {}

  /** The blob at `path` in the commit as UTF-8; undefined for no such commit or file, or a directory. */
  async readFile(sha: string, path: string): Promise<string | undefined> {
    const inTree = treePath(path);
    if (!isObjectName(sha) || inTree === undefined) return undefined;
    // `--batch -z` takes the name on stdin, NUL-terminated: any path, never an argument.
    const result = await runGit(this.gitDir, ["cat-file", "--batch", "-z"], `${sha}:${inTree}\0`);
    if (result.code !== 0) throw new Error(`git cat-file failed: ${result.stderr.trim()}`);
    const newline = result.stdout.indexOf(0x0a);
    const header = result.stdout.subarray(0, newline).toString("utf8");
    const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (newline < 0 || !match || match[1] !== "blob") return undefined; // "<name> missing"
    const size = Number(match[2]);
    return result.stdout.subarray(newline + 1, newline + 1 + size).toString("utf8");
  }

  /** Every path in the commit's tree (files, symlinks, submodules); [] for an unknown commit. */
  async listFiles(sha: string): Promise<string[]> {
    if (!isObjectName(sha)) return [];
    const result = await runGit(this.gitDir, [
      "ls-tree",
      "-r",
      "--name-only",
      "-z",
      "--full-tree",
      sha,
    ]);
    return result.code === 0 ? nulSeparated(result.stdout) : [];
  }

  /**
   * Paths added, modified or deleted from `before` to `after`; a rename counts as both its old
   * and new path (`--no-renames`), as GitLab's push diff lists both sides. undefined when
   * `before` is the zero SHA or either commit is unknown.
   */
  async changedPaths(before: string, after: string): Promise<string[] | undefined> {
    if (before === ZERO_SHA || !isObjectName(before) || !isObjectName(after)) return undefined;
    const result = await runGit(this.gitDir, [
      "diff-tree",
      "-r",
      "-z",
      "--no-renames",
      "--name-only",
      before,
      after,
    ]);
    return result.code === 0 ? nulSeparated(result.stdout) : undefined;
  }

  async commit(sha: string): Promise<CommitFacts | undefined> {
    if (!isObjectName(sha)) return undefined;
    const result = await runGit(this.gitDir, [
      "log",
      "-1",
      "--no-show-signature",
      "--format=%an%x00%ae%x00%aI%x00%B",
      `${sha}^{commit}`,
      "--",
    ]);
    if (result.code !== 0) return undefined;
    const [authorName = "", authorEmail = "", timestamp = "", ...message] = result.stdout
      .toString("utf8")
      .split("\0");
    // Trimmed as `conveyor run` trims it, so both see the same CI_COMMIT_MESSAGE.
    return { message: message.join("\0").trim(), authorName, authorEmail, timestamp };
  }

  /**
   * A branch or tag name → the ref and its commit; a branch wins over a tag of the same name,
   * as GitLab's `ref` parameter resolves. undefined when neither exists.
   */
  async resolveRef(ref: string): Promise<ResolvedRef | undefined> {
    if (!isRefShortName(ref)) return undefined;
    const branch = `refs/heads/${ref}`;
    const tag = `refs/tags/${ref}`;
    const refs = await snapshotRefs(this.gitDir, [branch, tag]);
    const asBranch = refs.get(branch)?.commit;
    if (asBranch) return { ref: { kind: "branch", name: ref }, sha: asBranch };
    const asTag = refs.get(tag)?.commit;
    if (asTag) return { ref: { kind: "tag", name: ref }, sha: asTag };
    return undefined;
  }

  /** A branch, a tag or a (possibly abbreviated) commit SHA → the commit's full SHA. */
  async resolveCommit(revision: string): Promise<string | undefined> {
    const resolved = await this.resolveRef(revision);
    if (resolved) return resolved.sha;
    if (!isObjectName(revision)) return undefined;
    try {
      const out = await git(this.gitDir, [
        "rev-parse",
        "--verify",
        "--quiet",
        `${revision}^{commit}`,
      ]);
      return out.toString("utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  configSource(sha: string): ConfigSource {
    return commitConfigSource({ files: this, sha, ...this.options });
  }
}
