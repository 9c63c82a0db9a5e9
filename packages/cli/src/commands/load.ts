/** Loads the pipeline file a command names, with the repository it lives in as the context. */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import {
  buildEvent,
  type EventSpec,
  EventSpecError,
  type LoadedPipeline,
  loadPipeline,
  type PipelineEvent,
} from "@conveyor/pipeline";
import { changedSince } from "../git.js";
import { type Io, UsageError } from "../io.js";
import { httpFetcher, localConfigSource } from "../local-config-source.js";
import { inspectRepository, type RepositoryFacts } from "../repository.js";

const DEFAULT_FILE = ".gitlab-ci.yml";

export interface LoadRequest {
  cwd: string;
  /** The file as the user named it; undefined: `.gitlab-ci.yml` at the repository root. */
  file: string | undefined;
  /** Overrides of what git says (flags). */
  overrides: EventSpec;
  remote: boolean;
  /** The pipeline's id (and iid), chosen once the repository's root is known. */
  pipelineIdFor?: (root: string) => Promise<number>;
  /** The facts of the repository in `cwd` when they were already asked for (Io.repository). */
  repository?: Promise<RepositoryFacts> | undefined;
  /** NODE_EXTRA_CA_CERTS's file, to trust when fetching remote includes (Io.extraCaCertsFile). */
  extraCaCertsFile?: string | undefined;
  /** Where warnings go. */
  stderr?: Io["stderr"];
}

export interface LoadOutcome {
  loaded: LoadedPipeline;
  /** The repository's root (the file's folder when it is not in a git repository). */
  root: string;
  /** The root is a git work tree. */
  inRepository: boolean;
  event: PipelineEvent;
  /** Paths changed since `ref` (for `rules:changes:compare_to`), from git. */
  compareTo: (ref: string) => readonly string[] | undefined;
}

export async function loadForCommand(request: LoadRequest): Promise<LoadOutcome> {
  const { cwd } = request;
  let cwdFacts = request.repository;
  const factsOfCwd = () => (cwdFacts ??= inspectRepository(cwd));
  // Without a file, the file is at the root git gives, and the facts are that repository's.
  const path =
    request.file === undefined
      ? join((await factsOfCwd()).root, DEFAULT_FILE)
      : resolve(cwd, request.file);
  const folder = dirname(path);
  // The file is read while git answers. Facts asked from the working directory serve when the
  // file is there or at that repository's root (the same repository); elsewhere git is asked
  // from the file's folder.
  const repositoryAnswer =
    request.file === undefined || folder === cwd
      ? factsOfCwd()
      : cwdFacts
        ? cwdFacts.then((facts) =>
            facts.isGit && facts.root === folder ? facts : inspectRepository(folder),
          )
        : inspectRepository(folder);
  // A failed read is reported first; the answer must not be left unobserved meanwhile.
  repositoryAnswer.catch(() => undefined);
  const shown = request.file ?? DEFAULT_FILE;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT" ? `${shown}: no such file` : `${shown}: ${String(error)}`,
    );
  }
  const repository = await repositoryAnswer;
  const inRepo = relative(repository.root, path);
  const root = inRepo.startsWith("..") || isAbsolute(inRepo) ? dirname(path) : repository.root;
  const name = relative(root, path);
  if (request.overrides.branch !== undefined && request.overrides.tag !== undefined) {
    throw new UsageError("give either --branch or --tag, not both");
  }
  const spec: EventSpec = { ...repository.spec };
  for (const [key, value] of Object.entries(request.overrides)) {
    if (value !== undefined) (spec as Record<string, unknown>)[key] = value;
  }
  if (request.overrides.tag !== undefined) delete spec.branch;
  if (request.overrides.branch !== undefined) delete spec.tag;
  if (request.pipelineIdFor) {
    spec.pipelineId = spec.pipelineIid = await request.pipelineIdFor(root);
  }
  let event: PipelineEvent;
  try {
    event = buildEvent(spec);
  } catch (error) {
    if (error instanceof EventSpecError) throw new UsageError(error.message);
    throw error;
  }
  const source = localConfigSource({
    root,
    files: repository.files,
    ...(request.remote
      ? {
          fetchRemote: httpFetcher({
            extraCaCertsFile: request.extraCaCertsFile,
            warn: (message) => request.stderr?.write(`${message}\n`),
          }),
        }
      : {}),
  });
  const loaded = await loadPipeline(text, { file: name, source, event });
  return {
    loaded,
    root,
    inRepository: root === repository.root && repository.isGit,
    event,
    compareTo: (ref) => changedSince(root, ref),
  };
}
