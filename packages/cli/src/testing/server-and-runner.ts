/**
 * Test kit: `conveyor server` and `conveyor runner run` as two real processes (the bundled bin),
 * as a team starts them, with the REST calls and waits the end-to-end tests share. The server
 * keeps its state in SQLite, or in a fresh PostgreSQL schema when CONVEYOR_TEST_DATABASE_URL is
 * set.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestSchema, TEST_DATABASE_ENV } from "@conveyor/server/testing";
import { conveyor, git, repository, writeFiles } from "./cli-process.js";
import { freePort, type ServiceProcess, startService } from "./service-process.js";

export const ROOT_TOKEN = "glpat-e2e-root-token-abcdefghij";
export const REGISTRATION_TOKEN = "GR1348941e2e-registration-token";

export interface Job {
  id: number;
  name: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
}

export class ServerAndRunner {
  readonly dir = mkdtempSync(join(tmpdir(), "conveyor-e2e-"));
  readonly dataDir = join(this.dir, "data");
  readonly runnerConfig = join(this.dir, "runner.toml");
  server!: ServiceProcess;
  runner?: ServiceProcess;
  url = "";
  port = 0;

  /** PostgreSQL when the suite runs against it (CONVEYOR_TEST_DATABASE_URL), else SQLite. */
  private database?: { target: string; drop: () => Promise<void> };

  /**
   * `givenTokens`: tokens given on the command line; false: the server makes its own in the data
   * directory. `env`: more environment for both processes (and so for the shell executor's jobs).
   */
  constructor(
    private readonly givenTokens = true,
    private readonly env: Record<string, string> = {},
  ) {}

  rootToken = ROOT_TOKEN;

  async startServer(): Promise<void> {
    this.port ||= await freePort();
    const postgres = process.env[TEST_DATABASE_ENV];
    if (postgres && !this.database) this.database = await createTestSchema(postgres);
    this.server = startService(
      this.dir,
      [
        "server",
        "--data",
        this.dataDir,
        "--listen",
        `127.0.0.1:${this.port}`,
        ...(this.givenTokens
          ? ["--registration-token", REGISTRATION_TOKEN, "--root-token", ROOT_TOKEN]
          : []),
        ...(this.database ? ["--database", this.database.target] : []),
      ],
      this.env,
    );
    const [, url] = await this.server.waitForOutput(/conveyor server: (http:\/\/\S+)/);
    this.url = url ?? "";
  }

  async startRunner(...flags: string[]): Promise<void> {
    const registered = conveyor(
      this.dir,
      "runner",
      "register",
      "--url",
      this.url,
      "--token",
      REGISTRATION_TOKEN,
      "--config",
      this.runnerConfig,
      "--name",
      "e2e",
      ...flags,
    );
    assert.equal(registered.code, 0, registered.stderr);
    this.runner = startService(
      this.dir,
      ["runner", "run", "--config", this.runnerConfig],
      this.env,
    );
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}/api/v4${path}`, {
      method,
      headers: {
        "PRIVATE-TOKEN": this.rootToken,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async trace(projectId: number, jobId: number): Promise<string> {
    const response = await fetch(`${this.url}/api/v4/projects/${projectId}/jobs/${jobId}/trace`, {
      headers: { "PRIVATE-TOKEN": this.rootToken },
    });
    return response.text();
  }

  async createProject(name: string) {
    const created = await this.api<{ id: number; http_url_to_repo: string }>("POST", "/projects", {
      name,
    });
    assert.equal(created.status, 201);
    return created.body;
  }

  /** A new repository with `files` pushed to the project's `branch` (main); answers its sha. */
  push(
    project: { http_url_to_repo: string },
    files: Record<string, string>,
    branch = "main",
  ): string {
    const { dir, sha } = this.pushRepository(project, files, branch);
    rmSync(dir, { recursive: true, force: true });
    return sha;
  }

  /** As `push`, also answering the local repository's directory for `pushChange`. */
  pushRepository(
    project: { http_url_to_repo: string },
    files: Record<string, string>,
    branch = "main",
  ): { dir: string; sha: string } {
    const dir = repository(files);
    return { dir, sha: this.#pushHead(project, dir, branch) };
  }

  /** Commits `files` (and deletes `remove`) in `dir`, then pushes main; answers the sha. */
  pushChange(
    project: { http_url_to_repo: string },
    dir: string,
    files: Record<string, string>,
    remove: readonly string[] = [],
  ): string {
    writeFiles(dir, files);
    if (remove.length > 0) git(dir, "rm", "-q", ...remove);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "change");
    return this.#pushHead(project, dir, "main");
  }

  #pushHead(project: { http_url_to_repo: string }, dir: string, branch: string): string {
    const remote = new URL(project.http_url_to_repo);
    remote.username = "oauth2";
    remote.password = this.rootToken;
    git(dir, "push", "-q", remote.toString(), `HEAD:refs/heads/${branch}`);
    return git(dir, "rev-parse", "HEAD").trim();
  }

  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}\n--- server:\n${this.server.output()}\n--- runner:\n${this.runner?.output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The project's newest pipeline (or the one of `sha`) once it has finished. */
  async finishedPipeline(projectId: number, sha?: string) {
    return this.until("the pipeline to finish", async () => {
      const list = await this.api<{ id: number; status: string; sha: string }[]>(
        "GET",
        `/projects/${projectId}/pipelines`,
      );
      const pipeline = sha === undefined ? list.body[0] : list.body.find((p) => p.sha === sha);
      return pipeline && ["success", "failed", "canceled"].includes(pipeline.status)
        ? pipeline
        : undefined;
    });
  }

  async jobs(projectId: number, pipelineId: number): Promise<Job[]> {
    return (await this.api<Job[]>("GET", `/projects/${projectId}/pipelines/${pipelineId}/jobs`))
      .body;
  }

  async stop(): Promise<void> {
    await this.runner?.stop("SIGTERM");
    await this.server.stop("SIGTERM");
    await this.database?.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
