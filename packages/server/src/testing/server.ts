/**
 * Test kit for a real `conveyor server` in the test's process: a fresh data directory, the
 * store `openTestStore` picks (SQLite, or PostgreSQL when CONVEYOR_TEST_DATABASE_URL is set), a
 * real HTTP listener on 127.0.0.1, a root token and a runner registration token, plus the few
 * calls every server test makes (API requests, creating projects, pushing with real git,
 * waiting for something to happen).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobPayload } from "@conveyor/protocol";
import { commitFiles, createRepository, git } from "@conveyor/runner/testing";
import { type ConveyorServer, type ServerOptions, startServer } from "../server.js";
import { openTestStore } from "./stores.js";

export const ROOT_TOKEN = "glpat-test-root-token-0123456789";
export const REGISTRATION_TOKEN = "GR1348941test-registration";
export const SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop";

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestProject {
  id: number;
  path_with_namespace: string;
  http_url_to_repo: string;
}

export interface TestServer {
  server: ConveyorServer;
  url: string;
  dataDir: string;
  /** The postgres:// URL of this server's database; undefined: SQLite (in storeTarget). */
  database: string | undefined;
  /** What `openStore` takes for this server's state: a directory or a postgres:// URL. */
  storeTarget: string;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<ApiAnswer<T>>;
  createProject(name: string, token?: string): Promise<TestProject>;
  /** A clone URL carrying credentials, for `git push`/`git clone`. */
  gitUrl(project: TestProject, token?: string, user?: string): string;
  /** A new local repository with the files on `main`, pushed; answers its directory and sha. */
  pushNew(
    project: TestProject,
    files: Record<string, string>,
  ): Promise<{ dir: string; sha: string }>;
  /** Commits the files in `dir` and pushes them to `branch`; answers the sha. */
  pushMore(dir: string, files: Record<string, string>, branch?: string): Promise<string>;
  /** Polls `probe` until it answers something (bounded by `timeoutMs`). */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  /**
   * Stops the server and starts a new one on the same data directory and store (a restart after
   * a crash, when the test made the first server stop short of something); `server` and `url`
   * then name the new one (a new port).
   */
  restart(options?: Partial<ServerOptions>): Promise<void>;
  /** Stops the server (and, unless `keepData`, removes its state). */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "conveyor-server-"));
  const testStore = await openTestStore();
  // The server opens its own connection to the same target.
  const postgres = testStore.target.startsWith("postgres");
  const start = (given: Partial<ServerOptions>) =>
    startServer({
      dataDir,
      database: testStore.target,
      port: 0,
      secretKey: SECRET_KEY,
      rootToken: ROOT_TOKEN,
      registrationToken: REGISTRATION_TOKEN,
      holdSeconds: 5,
      ...given,
    });
  let server = await start(options);
  let url = server.url;
  const reposDir = await mkdtemp(join(tmpdir(), "conveyor-push-"));

  const api = async <T>(method: string, path: string, body?: unknown, token = ROOT_TOKEN) => {
    const response = await fetch(`${url}/api/v4${path}`, {
      method,
      headers: {
        ...(token ? { "PRIVATE-TOKEN": token } : {}),
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };

  const gitUrl = (project: TestProject, token = ROOT_TOKEN, user = "oauth2") => {
    const target = new URL(project.http_url_to_repo);
    // The server now listening (a restart moves it to another port).
    target.host = new URL(url).host;
    target.username = user;
    target.password = token;
    return target.toString();
  };

  let repoCount = 0;
  /** The project each pushed repository belongs to, so a push after a restart finds the server. */
  const projectOf = new Map<string, TestProject>();
  return {
    get server() {
      return server;
    },
    get url() {
      return url;
    },
    dataDir,
    database: postgres ? testStore.target : undefined,
    storeTarget: testStore.target,
    api,
    async createProject(name, token = ROOT_TOKEN) {
      const answer = await api<TestProject>("POST", "/projects", { name }, token);
      if (answer.status !== 201) {
        throw new Error(
          `creating project ${name}: ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
      return answer.body;
    },
    gitUrl,
    async pushNew(project, files) {
      const dir = join(reposDir, `repo-${++repoCount}`);
      const sha = await createRepository(dir, files);
      git(dir, "remote", "add", "origin", gitUrl(project));
      projectOf.set(dir, project);
      await gitAsync(dir, "push", "-q", "origin", "main");
      return { dir, sha };
    },
    async pushMore(dir, files, branch = "main") {
      const sha = await commitFiles(dir, files, "more");
      const project = projectOf.get(dir);
      if (project) git(dir, "remote", "set-url", "origin", gitUrl(project));
      await gitAsync(dir, "push", "-q", "origin", `HEAD:refs/heads/${branch}`);
      return sha;
    },
    waitFor: waitUntil,
    async restart(given = options) {
      await server.close();
      server = await start(given);
      url = server.url;
    },
    async close({ keepData = false } = {}) {
      await server.close();
      if (!keepData) {
        await testStore.dispose();
        await rm(dataDir, { recursive: true, force: true });
        await rm(reposDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * git without blocking the event loop: the server under test answers in this same process, so
 * a synchronous `git push` to it would wait forever.
 */
export function gitAsync(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`git ${args[0]} failed: ${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

/** Polls `probe` every 50 ms until it answers something; fails after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Registers a runner with the kit's registration token (legacy flow); answers its token. */
export async function registerRunner(
  server: Pick<TestServer, "url">,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const response = await fetch(`${server.url}/api/v4/runners`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: REGISTRATION_TOKEN, ...settings }),
  });
  if (response.status !== 201) throw new Error(`registering a runner: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** One `POST /jobs/request` as a runner sends it; the payload when a job was given (201). */
export async function requestJob(
  server: Pick<TestServer, "url">,
  token: string,
  body: Record<string, unknown> = {},
): Promise<{ status: number; payload?: JobPayload; lastUpdate: string }> {
  const answer = await fetch(`${server.url}/api/v4/jobs/request`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token, ...body }),
  });
  const text = await answer.text();
  return {
    status: answer.status,
    lastUpdate: answer.headers.get("x-gitlab-last-update") ?? "",
    ...(answer.status === 201 ? { payload: JSON.parse(text) as JobPayload } : {}),
  };
}

/** Pipeline statuses that end a pipeline. */
export const FINAL_PIPELINE_STATUSES = new Set(["success", "failed", "canceled", "skipped"]);
