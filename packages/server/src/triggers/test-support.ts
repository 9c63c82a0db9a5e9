/**
 * Shared by the tests of triggers/, schedules/ and webhooks/: a Fastify app configured as
 * `startServer` configures its body parsing (multipart, and a catch-all that hands other bodies
 * over as bytes), a real test store with users, tokens and a project, and a recording
 * PipelineStarter that stores a real pipeline row for each start.
 */
import multipart from "@fastify/multipart";
import Fastify, { type FastifyInstance } from "fastify";
import type { PipelineStarter, StartOutcome, StartRequest } from "../pipelines/starter.js";
import { ACCESS_LEVELS, type ProjectRecord, type Store, type UserRecord } from "../store/types.js";
import { openTestStore } from "../testing/stores.js";
import { tokenDigest } from "../util/tokens.js";

export const SERVER_URL = "http://conveyor.test";

/** A Fastify app whose body parsing matches the server's. */
export async function parsingLikeServer(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(multipart);
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  return app;
}

export interface Call {
  projectId: number;
  request: StartRequest;
}

/** Records every start; answers `error` when set, else stores a pipeline and answers its id. */
export class RecordingStarter implements PipelineStarter {
  readonly calls: Call[] = [];
  error: string | undefined;

  constructor(private readonly store: Store) {}

  async start(project: ProjectRecord, request: StartRequest): Promise<StartOutcome> {
    this.calls.push({ projectId: project.id, request });
    if (this.error !== undefined) return { error: this.error };
    const tag = request.ref.startsWith("refs/tags/");
    const name = request.ref.replace(/^refs\/(heads|tags)\//, "");
    const sha = request.sha ?? "1".repeat(40);
    const pipeline = await this.store.pipelines.create(
      {
        projectId: project.id,
        ref: name,
        tag,
        sha,
        beforeSha: request.beforeSha ?? "0".repeat(40),
        source: request.source,
        status: "created",
        ...(request.user ? { userId: request.user.id } : {}),
        event: {
          source: request.source,
          ref: { kind: tag ? "tag" : "branch", name },
          commit: { sha },
          project: {
            id: project.id,
            path: project.path,
            serverUrl: SERVER_URL,
            defaultBranch: project.defaultBranch,
          },
        },
        plan: { created: true, stages: [], jobs: [], variables: {}, errors: [] },
        createdAt: Date.now(),
      },
      Date.now(),
    );
    return { pipelineId: pipeline.id };
  }
}

export interface Member {
  user: UserRecord;
  /** A personal access token (send as PRIVATE-TOKEN). */
  token: string;
}

export interface World {
  store: Store;
  project: ProjectRecord;
  owner: Member;
  maintainer: Member;
  developer: Member;
  reporter: Member;
  /** Signed in, not a member of the private project. */
  stranger: Member;
  dispose(): Promise<void>;
}

/** A test store with a private project `group/app` and one user per role. */
export async function world(now = Date.now()): Promise<World> {
  const { store, dispose } = await openTestStore();
  const project = await store.projects.create(
    {
      path: "group/app",
      name: "app",
      description: "",
      defaultBranch: "main",
      visibility: "private",
    },
    now,
  );
  const member = async (username: string, level?: number): Promise<Member> => {
    const user = await store.users.create(
      { username, name: username, email: `${username}@example.test`, admin: false },
      now,
    );
    const token = `glpat-${username}-test-token`;
    await store.tokens.create(
      { userId: user.id, name: "test", digest: tokenDigest(token), scopes: ["api"] },
      now,
    );
    if (level !== undefined)
      await store.projects.setMember({
        projectId: project.id,
        userId: user.id,
        accessLevel: level,
      });
    return { user, token };
  };
  return {
    store,
    project,
    owner: await member("olivia", ACCESS_LEVELS.owner),
    maintainer: await member("max", ACCESS_LEVELS.maintainer),
    developer: await member("dev", ACCESS_LEVELS.developer),
    reporter: await member("rita", ACCESS_LEVELS.reporter),
    stranger: await member("sam"),
    dispose,
  };
}

/** The PRIVATE-TOKEN header of a member. */
export function as(member: Member): Record<string, string> {
  return { "private-token": member.token };
}
