/**
 * Git hosting for the server: a bare repository per project, git's smart HTTP protocol with
 * GitLab's authentication, the pushes it receives reported as ref updates, and the
 * `CommitReader` pipeline creation reads commits through.
 */
import { mkdir } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import type { CommitReader } from "../pipelines/trigger.js";
import type { ProjectRecord, Store, UserRecord } from "../store/types.js";
import type { ProjectLookup, RemoteFetcher } from "./commit-config-source.js";
import { type Authorize, canReadCode, storeAuthorizer } from "./git-auth.js";
import { type OnPush, PushWatch } from "./push-watch.js";
import { Repositories } from "./repositories.js";
import { RepositoryReader, type ResolvedRef } from "./repository-reader.js";
import { SmartHttp } from "./smart-http.js";

export type { Authorization, Authorize, Credentials, GitService } from "./git-auth.js";
export { storeAuthorizer } from "./git-auth.js";
export type { RefName, RefUpdate } from "./ref-snapshot.js";
export { RepositoryReader, type ResolvedRef } from "./repository-reader.js";
export { Repositories } from "./repositories.js";
export type { RemoteFetcher } from "./commit-config-source.js";

export interface GitHostingOptions {
  /** Where the bare repositories live. */
  root: string;
  store: Store;
  clock: () => number;
  /** Called after a push's response is complete, with the created and moved refs. */
  onPush: OnPush;
  log: (line: string) => void;
  /** Who may fetch and push; default: storeAuthorizer(store, clock). */
  authorize?: Authorize;
  /** For `include:remote`; undefined refuses remote includes. */
  fetchRemote?: RemoteFetcher;
  /** For `include:template`; undefined: no templates. */
  readTemplate?: (name: string) => Promise<string | undefined>;
}

export type HostedReader = CommitReader & {
  resolveRef(ref: string): Promise<ResolvedRef | undefined>;
};

export interface GitHosting {
  /** Creates the project's empty repository (HEAD on its default branch). */
  create(project: ProjectRecord): Promise<void>;
  /** Deletes the project's repository. */
  remove(project: ProjectRecord): Promise<void>;
  /**
   * Reads the project's commits. `include:project` reads the project itself, public projects
   * and, when `user` is given, projects whose code that user may read.
   */
  reader(project: ProjectRecord, user?: UserRecord): HostedReader;
  /** Serves git over HTTP from `app` (call before `app.listen`/`app.ready`). */
  mount(app: FastifyInstance): void;
  /** Stops running git processes and waits for due `onPush` calls. */
  close(): Promise<void>;
}

export async function openGitHosting(options: GitHostingOptions): Promise<GitHosting> {
  const { store } = options;
  const repositories = new Repositories(options.root);
  await mkdir(options.root, { recursive: true });
  const pushes = new PushWatch(options.onPush, options.log);
  const http = new SmartHttp({
    repositories,
    findProject: (path) => store.projects.byPath(path),
    authorize: options.authorize ?? storeAuthorizer(store, options.clock),
    pushes,
    log: options.log,
  });

  const includable =
    (including: ProjectRecord, user: UserRecord | undefined): ProjectLookup =>
    async (path) => {
      const target = path === including.path ? including : await store.projects.byPath(path);
      if (!target) return undefined;
      if (target.id !== including.id && !(await canReadCode(store, target, user))) return undefined;
      return {
        defaultBranch: target.defaultBranch,
        files: new RepositoryReader(repositories.pathOf(target.id)),
      };
    };

  return {
    create: async (project) => {
      await repositories.create(project);
    },
    remove: (project) => repositories.remove(project.id),
    reader: (project, user) =>
      new RepositoryReader(repositories.pathOf(project.id), {
        projects: includable(project, user),
        ...(options.fetchRemote ? { fetchRemote: options.fetchRemote } : {}),
        ...(options.readTemplate ? { readTemplate: options.readTemplate } : {}),
      }),
    mount: (app) => http.register(app),
    close: async () => {
      http.close();
      await pushes.drain();
    },
  };
}
