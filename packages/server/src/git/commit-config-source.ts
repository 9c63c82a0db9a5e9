/**
 * The pipeline language's `ConfigSource` for one commit of a hosted repository:
 * `include:local` from the commit itself, `include:project` from another hosted project at a
 * ref (through a lookup the caller gives, which also decides who may read what), templates and
 * remote URLs through injected readers (refused without them), components refused.
 * The counterpart of the CLI's `localConfigSource`, which reads a working tree instead.
 */
import { posix } from "node:path";
import type { ConfigSource } from "@conveyor/pipeline";

/** Reads files of commits; RepositoryReader is one. */
export interface CommitFiles {
  readFile(sha: string, path: string): Promise<string | undefined>;
  listFiles(sha: string): Promise<string[]>;
}

/** A project `include:project` may read: its files and how its refs resolve. */
export interface IncludableProject {
  defaultBranch: string;
  files: Pick<CommitFiles, "readFile"> & {
    /** A branch, tag or commit SHA → the commit; undefined when there is none. */
    resolveCommit(revision: string): Promise<string | undefined>;
  };
}

/** `group/project` → the project, or undefined when it does not exist or may not be read. */
export type ProjectLookup = (path: string) => Promise<IncludableProject | undefined>;

/** Same shape as the CLI's `RemoteFetcher`: an https URL → its text, undefined for a 404. */
export type RemoteFetcher = (url: string) => Promise<string | undefined>;

export interface CommitSourceOptions {
  files: CommitFiles;
  sha: string;
  /** undefined: `include:project` is refused. */
  projects?: ProjectLookup;
  /** undefined: `include:remote` is refused. */
  fetchRemote?: RemoteFetcher;
  /** `include:template` by name; undefined: no templates (every template "does not exist"). */
  readTemplate?: (name: string) => Promise<string | undefined>;
}

/**
 * A repository path as GitLab's includes write it (`/ci/build.yml`, `ci/./build.yml`) →
 * the path inside the tree, or undefined when it leaves the repository or names nothing.
 */
export function treePath(path: string): string | undefined {
  const normal = posix.normalize(path.replace(/^\/+/, ""));
  if (normal === "." || normal === ".." || normal.startsWith("../")) return undefined;
  return normal.replace(/\/+$/, "");
}

export function commitConfigSource(options: CommitSourceOptions): ConfigSource {
  const { files, sha } = options;
  let listing: Promise<readonly string[]> | undefined;
  const readAt = async (reader: Pick<CommitFiles, "readFile">, at: string, path: string) => {
    const inTree = treePath(path);
    return inTree === undefined ? undefined : reader.readFile(at, inTree);
  };
  return {
    readLocal: (path) => readAt(files, sha, path),
    // The commit never changes, so its listing is read once per source.
    listLocal: () => (listing ??= files.listFiles(sha)),
    readProject: async (path, file, ref) => {
      if (!options.projects) throw new Error(`include:project (${path}) is not enabled here`);
      const project = await options.projects(path);
      if (!project) throw new Error("the project does not exist or the pipeline may not read it");
      const revision = ref ?? project.defaultBranch;
      const commit = await project.files.resolveCommit(revision);
      if (!commit) throw new Error(`reference \`${revision}\` does not exist`);
      return readAt(project.files, commit, file);
    },
    readTemplate: async (name) => (options.readTemplate ? options.readTemplate(name) : undefined),
    readRemote: async (url) => {
      if (!options.fetchRemote) throw new Error(`remote includes are disabled (${url})`);
      return options.fetchRemote(url);
    },
    readComponent: async (address) => {
      throw new Error(`include:component (${address}) is not supported by this server yet`);
    },
  };
}
