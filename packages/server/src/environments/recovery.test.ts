/**
 * Nothing a server accepted is lost when it dies between a pipeline step and the records that
 * follow it (the new jobs' environments and deployments; the ended jobs' deployment statuses
 * and environment states). The in-process server stops short at that moment through its
 * `onStepCommitted` hook (throwing there skips every record that follows, as dying would) and
 * is started again on the same data; the last test kills a real server process with SIGKILL
 * there. Each time the runner's retried final update is refused (the job's end is committed),
 * so only the next start can finish the records, and it does.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { createRepository, git } from "@conveyor/runner/testing";
import type { CommittedStep } from "../pipelines/coordinator.js";
import { type ConveyorServer, startServer } from "../server.js";
import {
  gitAsync,
  REGISTRATION_TOKEN,
  registerRunner,
  requestJob,
  ROOT_TOKEN,
  SECRET_KEY,
  startTestServer,
  type TestProject,
  type TestServer,
  waitUntil,
} from "../testing/server.js";
import { openTestStore } from "../testing/stores.js";

const DAY = 24 * 60 * 60 * 1000;

interface Deployment {
  id: number;
  status: string;
  finished_at: string | null;
  deployable: { id: number; name: string } | null;
}

interface Environment {
  id: number;
  name: string;
  state: string;
  auto_stop_at: string | null;
  last_deployment: { deployable: { id: number } | null } | null;
}

interface Job {
  id: number;
  name: string;
  status: string;
  finished_at: string | null;
}

const REVIEW_APP = [
  "deploy_review:",
  "  stage: deploy",
  "  script: [./deploy.sh]",
  "  environment:",
  "    name: review/$CI_COMMIT_REF_SLUG",
  "    on_stop: stop_review",
  "    auto_stop_in: 1 day",
  "stop_review:",
  "  stage: deploy",
  "  script: [./stop.sh]",
  "  when: manual",
  "  environment:",
  "    name: review/$CI_COMMIT_REF_SLUG",
  "    action: stop",
  "",
].join("\n");

/** A runner's job update, as gitlab-runner sends it. */
function updateJob(url: string, job: JobPayload, state: "success" | "failed"): Promise<Response> {
  return fetch(`${url}/api/v4/jobs/${job.id}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", "JOB-TOKEN": job.token },
    body: JSON.stringify({
      token: job.token,
      state,
      ...(state === "failed" ? { failure_reason: "script_failure", exit_code: 1 } : {}),
    }),
  });
}

/** An API call as root to the server at `url`. */
async function api<T>(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}/api/v4${path}`, {
    method,
    headers: {
      "PRIVATE-TOKEN": ROOT_TOKEN,
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The runner's retried final update: refused, since the job's end is committed. */
async function assertRetryRefused(url: string, job: JobPayload, status: string) {
  const retried = await updateJob(url, job, "success");
  assert.equal(retried.status, 403);
  assert.equal(retried.headers.get("job-status"), status);
}

describe("records that follow a committed step survive the server dying in between", () => {
  let server: TestServer;
  let runner: string;
  /** When set, the next step it matches is where the server "dies" (once). */
  let dieAt: ((step: CommittedStep) => boolean) | undefined;
  const onStepCommitted = (step: CommittedStep) => {
    if (!dieAt?.(step)) return;
    dieAt = undefined;
    throw new Error("the server dies here");
  };

  before(async () => {
    server = await startTestServer({ onStepCommitted });
    runner = await registerRunner(server);
  });

  after(() => server.close());

  const get = async <T>(path: string) => {
    const answer = await server.api<T>("GET", path);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const deployments = (project: TestProject) =>
    get<Deployment[]>(`/projects/${project.id}/deployments`);
  const environment = async (project: TestProject, name: string) => {
    const found = (await get<Environment[]>(`/projects/${project.id}/environments`)).find(
      (e) => e.name === name,
    );
    assert.ok(found, `environment ${name}`);
    return get<Environment>(`/projects/${project.id}/environments/${found.id}`);
  };
  const job = (project: TestProject, id: number) => get<Job>(`/projects/${project.id}/jobs/${id}`);

  /** Takes jobs until the project's job `name` comes (others of earlier tests are finished). */
  const take = (project: TestProject, name: string) =>
    waitUntil(`job ${name}`, async () => {
      const answer = await requestJob(server, runner);
      const payload = answer.payload;
      if (!payload) return undefined;
      if (payload.job_info.project_id === project.id && payload.job_info.name === name)
        return payload;
      await updateJob(server.url, payload, "success");
      return undefined;
    });

  const finish = async (payload: JobPayload, state: "success" | "failed") => {
    assert.equal((await updateJob(server.url, payload, state)).status, 200);
  };

  const dieWhen = (jobId: number, status: string) => {
    dieAt = (step) => step.changedJobs.some((c) => c.id === jobId && c.status === status);
  };

  test("a deploy job's success: its deployment and environment are right after the restart", async () => {
    const project = await server.createProject("lost-deploy");
    await server.pushNew(project, { ".gitlab-ci.yml": REVIEW_APP });
    const deploy = await take(project, "deploy_review");
    assert.deepEqual(
      (await deployments(project)).map((d) => d.status),
      ["running"],
    );

    dieWhen(deploy.id, "success");
    await finish(deploy, "success");
    // What a server killed there leaves: the job's end, and nothing that follows from it.
    assert.equal((await job(project, deploy.id)).status, "success");
    assert.deepEqual(
      (await deployments(project)).map((d) => d.status),
      ["running"],
    );
    assert.equal((await environment(project, "review/main")).last_deployment, null);
    await assertRetryRefused(server.url, deploy, "success");

    await server.restart({ onStepCommitted });
    const ended = await job(project, deploy.id);
    const [deployment] = await deployments(project);
    assert.equal(deployment?.status, "success");
    assert.equal(deployment?.finished_at, ended.finished_at);
    const after = await environment(project, "review/main");
    assert.equal(after.state, "available");
    assert.equal(after.last_deployment?.deployable?.id, deploy.id);
    // Renewed from the job's end as stored, not from the restart.
    assert.equal(Date.parse(after.auto_stop_at!), Date.parse(ended.finished_at!) + DAY);
  });

  test("a stop job's success stops the environment; a failed stop job's end returns it to available", async () => {
    const project = await server.createProject("lost-stop");
    const { dir } = await server.pushNew(project, { ".gitlab-ci.yml": REVIEW_APP });
    await finish(await take(project, "deploy_review"), "success");
    const deployed = await environment(project, "review/main");
    assert.equal(deployed.state, "available");

    const stopping = await server.api<Environment>(
      "POST",
      `/projects/${project.id}/environments/${deployed.id}/stop`,
    );
    assert.equal(stopping.body.state, "stopping");
    const stop = await take(project, "stop_review");
    dieWhen(stop.id, "success");
    await finish(stop, "success");
    assert.equal((await environment(project, "review/main")).state, "stopping");
    await assertRetryRefused(server.url, stop, "success");
    await server.restart({ onStepCommitted });
    const stopped = await environment(project, "review/main");
    assert.equal(stopped.state, "stopped");
    assert.equal(stopped.auto_stop_at, null);

    // Deployed again by a new pipeline, stopped again: this time the stop job fails.
    await server.pushMore(dir, { "README.md": "again\n" });
    const redeploy = await take(project, "deploy_review");
    await finish(redeploy, "success");
    assert.equal((await environment(project, "review/main")).state, "available");
    const asked = await server.api<Environment>(
      "POST",
      `/projects/${project.id}/environments/${deployed.id}/stop`,
    );
    assert.equal(asked.body.state, "stopping");
    const failing = await take(project, "stop_review");
    assert.equal(failing.job_info.pipeline_id, redeploy.job_info.pipeline_id);
    dieWhen(failing.id, "failed");
    await finish(failing, "failed");
    assert.equal((await environment(project, "review/main")).state, "stopping");
    await assertRetryRefused(server.url, failing, "failed");
    await server.restart({ onStepCommitted });
    assert.equal((await environment(project, "review/main")).state, "available");
  });

  test("a new pipeline's environments and deployments are made when the server starts again", async () => {
    const project = await server.createProject("lost-plan");
    dieAt = (step) => step.newJobIds.length > 0;
    await server.pushNew(project, { ".gitlab-ci.yml": REVIEW_APP });
    await waitUntil("the pipeline", async () => {
      const pipelines = await get<{ id: number }[]>(`/projects/${project.id}/pipelines`);
      return pipelines.length === 1 ? true : undefined;
    });
    assert.equal(dieAt, undefined, "the server died after the pipeline's first step");
    assert.deepEqual(await deployments(project), []);
    assert.deepEqual(await get(`/projects/${project.id}/environments`), []);

    await server.restart({ onStepCommitted });
    const planned = await deployments(project);
    assert.deepEqual(
      planned.map((d) => [d.deployable?.name, d.status]),
      [["deploy_review", "created"]],
    );
    const deploy = await take(project, "deploy_review");
    assert.equal(deploy.id, planned[0]!.deployable?.id);
    await finish(deploy, "success");
    assert.deepEqual(
      (await deployments(project)).map((d) => d.status),
      ["success"],
    );
    assert.equal((await environment(project, "review/main")).state, "available");
  });

  test("a stop recorded whose stop job never started is set going when the server starts", async () => {
    const project = await server.createProject("lost-play");
    await server.pushNew(project, { ".gitlab-ci.yml": REVIEW_APP });
    await finish(await take(project, "deploy_review"), "success");
    const deployed = await environment(project, "review/main");
    // What a server killed between recording the stop and playing the stop job leaves.
    await server.server.store.environments.update(
      deployed.id,
      { state: "stopping", autoStopAt: undefined },
      Date.now(),
      ["available"],
    );

    await server.restart({ onStepCommitted });
    const stop = await take(project, "stop_review");
    assert.equal((await environment(project, "review/main")).state, "stopping");
    await finish(stop, "success");
    assert.equal((await environment(project, "review/main")).state, "stopped");
  });
});

describe("a real server process killed with SIGKILL between a job's end and its records", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A server process on the data that SIGKILLs itself right after a job's success commits. */
  async function startDoomedServer(dataDir: string, database: string) {
    const code = [
      "const { startServer } = await import(process.env.SERVER_MODULE);",
      "const server = await startServer({",
      "  ...JSON.parse(process.env.SERVER_OPTIONS),",
      "  onStepCommitted(step) {",
      '    if (step.changedJobs.some((change) => change.status === "success"))',
      '      process.kill(process.pid, "SIGKILL");',
      "  },",
      "});",
      'process.stdout.write(JSON.stringify({ url: server.url }) + "\\n");',
    ].join("\n");
    // This process's loader flags, so the sources load under tsx too.
    const flags = process.execArgv.filter((flag) => !flag.startsWith("--test"));
    const child: ChildProcess = spawn(
      process.execPath,
      [...flags, "--input-type=module", "-e", code],
      {
        env: {
          ...process.env,
          SERVER_MODULE: new URL("../server.js", import.meta.url).href,
          SERVER_OPTIONS: JSON.stringify({
            dataDir,
            database,
            host: "127.0.0.1",
            port: 0,
            secretKey: SECRET_KEY,
            rootToken: ROOT_TOKEN,
            registrationToken: REGISTRATION_TOKEN,
            holdSeconds: 1,
          }),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    let output = "";
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let line = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        line += chunk.toString();
        const end = line.indexOf("\n");
        if (end >= 0) resolve((JSON.parse(line.slice(0, end)) as { url: string }).url);
      });
      void exited.then(() => reject(new Error(`the server process ended: ${output}`)));
    });
    return { url, exited };
  }

  test("the next start sets the deployment and the environment as the job's success says", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "conveyor-killed-"));
    const repos = await mkdtemp(join(tmpdir(), "conveyor-killed-push-"));
    const testStore = await openTestStore();
    await testStore.store.close();
    cleanups.push(
      () => testStore.dispose(),
      () => rm(dataDir, { recursive: true, force: true }),
      () => rm(repos, { recursive: true, force: true }),
    );

    const doomed = await startDoomedServer(dataDir, testStore.target);
    const project = (await api<TestProject>(doomed.url, "POST", "/projects", { name: "killed" }))
      .body;
    const remote = new URL(project.http_url_to_repo);
    remote.username = "oauth2";
    remote.password = ROOT_TOKEN;
    await createRepository(repos, { ".gitlab-ci.yml": REVIEW_APP });
    git(repos, "remote", "add", "origin", remote.toString());
    await gitAsync(repos, "push", "-q", "origin", "main");
    const runner = await registerRunner({ url: doomed.url });
    const deploy = await waitUntil("the deploy job", async () => {
      const payload = (await requestJob({ url: doomed.url }, runner)).payload;
      return payload?.job_info.name === "deploy_review" ? payload : undefined;
    });
    const running = await api<Deployment[]>(
      doomed.url,
      "GET",
      `/projects/${project.id}/deployments`,
    );
    assert.deepEqual(
      running.body.map((d) => d.status),
      ["running"],
    );

    // The final update commits the job's success, and the process dies before answering.
    await assert.rejects(updateJob(doomed.url, deploy, "success"));
    const [, signal] = await doomed.exited;
    assert.equal(signal, "SIGKILL");

    const restarted: ConveyorServer = await startServer({
      dataDir,
      database: testStore.target,
      port: 0,
      secretKey: SECRET_KEY,
      rootToken: ROOT_TOKEN,
      registrationToken: REGISTRATION_TOKEN,
      holdSeconds: 1,
    });
    cleanups.push(() => restarted.close());
    await assertRetryRefused(restarted.url, deploy, "success");
    const ended = await api<Job>(restarted.url, "GET", `/projects/${project.id}/jobs/${deploy.id}`);
    assert.equal(ended.body.status, "success");
    const deployments = await api<Deployment[]>(
      restarted.url,
      "GET",
      `/projects/${project.id}/deployments`,
    );
    assert.deepEqual(
      deployments.body.map((d) => [d.deployable?.id, d.status]),
      [[deploy.id, "success"]],
    );
    const environments = await api<Environment[]>(
      restarted.url,
      "GET",
      `/projects/${project.id}/environments`,
    );
    const [review] = environments.body;
    const shown = await api<Environment>(
      restarted.url,
      "GET",
      `/projects/${project.id}/environments/${review!.id}`,
    );
    assert.equal(shown.body.state, "available");
    assert.equal(shown.body.last_deployment?.deployable?.id, deploy.id);
    assert.equal(Date.parse(shown.body.auto_stop_at!), Date.parse(ended.body.finished_at!) + DAY);
  });
});
