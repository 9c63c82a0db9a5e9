/**
 * GitLab's environment lifecycle against a real server (real store, real HTTP, real git pushes,
 * the runner protocol for every job) whose clock the test moves: a review app deployed with
 * `on_stop` and `auto_stop_in` stops by itself when its time passes (its manual stop job runs
 * on a runner), comes back with the next deployment, is stopped through the API (a failed stop
 * job returns it to `available`, the next stop retries the job), and can be deleted only once
 * stopped; an environment without a stop job stops at once, `force` skips the stop job;
 * `prepare`/`verify`/`access` jobs make no deployments, and roles and protection gate stop and
 * delete. Docs: https://docs.gitlab.com/ci/environments/#stopping-an-environment,
 * https://docs.gitlab.com/api/environments/.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import {
  registerRunner,
  requestJob,
  ROOT_TOKEN,
  startTestServer,
  type TestProject,
  type TestServer,
  waitUntil,
} from "../testing/server.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Environment {
  id: number;
  name: string;
  state: string;
  tier: string;
  external_url: string | null;
  auto_stop_at: string | null;
  last_deployment: { deployable: { id: number } | null } | null;
}

interface Job {
  id: number;
  name: string;
  status: string;
}

interface Deployment {
  id: number;
  deployable: { id: number; name: string } | null;
}

const REVIEW_APP = [
  "variables:",
  "  REVIEW_LIFETIME: 1 day",
  "deploy_review:",
  "  stage: deploy",
  "  script: [echo deploy]",
  "  environment:",
  "    name: review/$CI_COMMIT_REF_SLUG",
  "    url: https://$CI_ENVIRONMENT_SLUG.example.test",
  "    on_stop: stop_review",
  "    auto_stop_in: $REVIEW_LIFETIME",
  "stop_review:",
  "  stage: deploy",
  "  script: [echo stop]",
  "  when: manual",
  "  environment:",
  "    name: review/$CI_COMMIT_REF_SLUG",
  "    action: stop",
  "",
].join("\n");

describe("environment lifecycle", () => {
  let server: TestServer;
  let runner: string;
  /** How far the server's clock is ahead of real time. */
  let ahead = 0;
  const now = () => Date.now() + ahead;
  const tokens: Record<string, string> = { root: ROOT_TOKEN };
  /** Jobs a runner took while the test waited for another one, by project and name. */
  const taken = new Map<string, JobPayload[]>();

  before(async () => {
    server = await startTestServer({ clock: now, scheduleIntervalMs: 50 });
    runner = await registerRunner(server);
  });

  after(() => server.close());

  const as = <T>(who: string, method: string, path: string, body?: unknown) =>
    server.api<T>(method, path, body, tokens[who]);

  /** Takes jobs as a runner until one named `name` of the project comes. */
  const take = (project: TestProject, name: string): Promise<JobPayload> =>
    waitUntil(`job ${name} for a runner`, async () => {
      const key = `${project.id}/${name}`;
      const waiting = taken.get(key)?.shift();
      if (waiting) return waiting;
      const answer = await requestJob(server, runner);
      if (!answer.payload) return undefined;
      const info = answer.payload.job_info;
      if (info.project_id === project.id && info.name === name) return answer.payload;
      const other = `${info.project_id}/${info.name}`;
      taken.set(other, [...(taken.get(other) ?? []), answer.payload]);
      return undefined;
    });

  const finish = async (job: JobPayload, state: "success" | "failed") => {
    const response = await fetch(`${server.url}/api/v4/jobs/${job.id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "JOB-TOKEN": job.token },
      body: JSON.stringify({
        token: job.token,
        state,
        ...(state === "failed" ? { failure_reason: "script_failure", exit_code: 1 } : {}),
      }),
    });
    assert.equal(response.status, 200);
  };

  const environmentNamed = async (project: TestProject, name: string) => {
    const list = await as<Environment[]>(
      "root",
      "GET",
      `/projects/${project.id}/environments?name=${encodeURIComponent(name)}`,
    );
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 1, `environment ${name}: ${JSON.stringify(list.body)}`);
    return list.body[0]!;
  };

  const environment = async (project: TestProject, id: number) =>
    (await as<Environment>("root", "GET", `/projects/${project.id}/environments/${id}`)).body;

  const job = async (project: TestProject, id: number) =>
    (await as<Job>("root", "GET", `/projects/${project.id}/jobs/${id}`)).body;

  const pipelineJobs = async (project: TestProject, pipelineId: number) =>
    (await as<Job[]>("root", "GET", `/projects/${project.id}/pipelines/${pipelineId}/jobs`)).body;

  const stop = (project: TestProject, id: number, who = "root", query = "") =>
    as<Environment>(who, "POST", `/projects/${project.id}/environments/${id}/stop${query}`);

  const remove = (project: TestProject, id: number, who = "root") =>
    as<unknown>(who, "DELETE", `/projects/${project.id}/environments/${id}`);

  const variable = (payload: JobPayload, key: string) =>
    payload.variables.find((v) => v.key === key)?.value;

  /** `at` as an ISO time within [from, to] (both epoch ms). */
  const assertBetween = (at: string | null, from: number, to: number) => {
    assert.ok(at, "a time is set");
    const ms = Date.parse(at);
    assert.ok(ms >= from && ms <= to, `${at} is not within [${from}, ${to}]`);
  };

  test("a review app stops by its auto_stop_in, comes back with the next deployment, stops through the API and is deleted once stopped", async () => {
    const project = await server.createProject("review-app");
    // The pipeline creates the environment, with its lifetime already set (GitLab creates a
    // job's environment with its pipeline, Environments::CreateForJobService).
    const pushedAt = now();
    const { dir } = await server.pushNew(project, { ".gitlab-ci.yml": REVIEW_APP });
    const created = await waitUntil("the pipeline's environment", async () => {
      const list = await as<Environment[]>("root", "GET", `/projects/${project.id}/environments`);
      return list.body.find((e) => e.name === "review/main");
    });
    assert.equal(created.state, "available");
    assert.equal(created.tier, "development");
    assertBetween(created.auto_stop_at, pushedAt + DAY, now() + DAY);
    const deploy = await take(project, "deploy_review");
    assert.equal(variable(deploy, "CI_ENVIRONMENT_NAME"), "review/main");

    ahead += HOUR;
    const finishedFrom = now();
    await finish(deploy, "success");
    const deployed = await environment(project, created.id);
    assert.equal(deployed.state, "available");
    const slug = variable(deploy, "CI_ENVIRONMENT_SLUG");
    assert.equal(deployed.external_url, `https://${slug}.example.test`);
    assert.equal(deployed.last_deployment?.deployable?.id, deploy.id);
    // The successful deployment renews the lifetime from its end.
    assertBetween(deployed.auto_stop_at, finishedFrom + DAY, now() + DAY);
    const deployments = await as<Deployment[]>(
      "root",
      "GET",
      `/projects/${project.id}/deployments?environment=review/main`,
    );
    assert.deepEqual(
      deployments.body.map((d) => d.deployable?.name),
      ["deploy_review"],
    );

    // An available environment cannot be deleted (api/environments: 403 until stopped).
    assert.equal((await remove(project, created.id)).status, 403);

    // Time passes auto_stop_at: the scheduler plays the manual stop job.
    ahead += DAY + MINUTE;
    const stopping = await waitUntil("the environment to be stopping", async () => {
      const current = await environment(project, created.id);
      return current.state === "stopping" ? current : undefined;
    });
    assert.equal(stopping.auto_stop_at, null);
    const firstPipeline = deploy.job_info.pipeline_id;
    const stopJob = (await pipelineJobs(project, firstPipeline)).find(
      (j) => j.name === "stop_review",
    )!;
    assert.equal(stopJob.status, "pending");
    const stopPayload = await take(project, "stop_review");
    assert.equal(stopPayload.id, stopJob.id);
    assert.equal(variable(stopPayload, "CI_ENVIRONMENT_ACTION"), "stop");
    assert.equal((await environment(project, created.id)).state, "stopping");
    await finish(stopPayload, "success");
    const stopped = await environment(project, created.id);
    assert.equal(stopped.state, "stopped");
    assert.equal(stopped.auto_stop_at, null);
    assert.equal((await job(project, stopJob.id)).status, "success");

    // The next deployment brings the same environment back, with a fresh lifetime.
    await server.pushMore(dir, { "README.md": "again\n" });
    const redeploy = await take(project, "deploy_review");
    assert.notEqual(redeploy.job_info.pipeline_id, firstPipeline);
    assert.equal((await environment(project, created.id)).state, "stopped");
    const redeployedFrom = now();
    await finish(redeploy, "success");
    const back = await environment(project, created.id);
    assert.equal(back.state, "available");
    assert.equal(back.last_deployment?.deployable?.id, redeploy.id);
    assertBetween(back.auto_stop_at, redeployedFrom + DAY, now() + DAY);

    // A stop through the API plays the stop job of the last deployment's pipeline.
    const asked = await stop(project, created.id);
    assert.equal(asked.status, 200);
    assert.equal(asked.body.state, "stopping");
    assert.equal(asked.body.auto_stop_at, null);
    const secondStop = await take(project, "stop_review");
    assert.equal(secondStop.job_info.pipeline_id, redeploy.job_info.pipeline_id);
    // Asking again while it runs changes nothing.
    assert.equal((await stop(project, created.id)).body.state, "stopping");
    await finish(secondStop, "failed");
    // A failed stop job leaves the environment available (GitLab recovers `stopping`).
    assert.equal((await environment(project, created.id)).state, "available");

    // Stopping again retries the failed stop job; its success stops the environment.
    assert.equal((await stop(project, created.id)).body.state, "stopping");
    const retried = await take(project, "stop_review");
    assert.notEqual(retried.id, secondStop.id);
    await finish(retried, "success");
    assert.equal((await environment(project, created.id)).state, "stopped");

    // Stopping a stopped environment answers it unchanged; deleting it now works.
    assert.equal((await stop(project, created.id)).body.state, "stopped");
    assert.equal((await remove(project, created.id)).status, 204);
    const gone = await as("root", "GET", `/projects/${project.id}/environments/${created.id}`);
    assert.equal(gone.status, 404);
  });

  test("an environment without a stop job stops at once; force skips the stop job", async () => {
    const project = await server.createProject("static-envs");
    await server.pushNew(project, {
      ".gitlab-ci.yml": [
        "deploy:",
        "  stage: deploy",
        "  script: [echo deploy]",
        "  environment: { name: production }",
        "review:",
        "  stage: deploy",
        "  script: [echo review]",
        "  environment: { name: review/x, on_stop: stop_x, deployment_tier: testing }",
        "stop_x:",
        "  stage: deploy",
        "  script: [echo stop]",
        "  when: manual",
        "  environment: { name: review/x, action: stop }",
        "",
      ].join("\n"),
    });
    const deploy = await take(project, "deploy");
    const review = await take(project, "review");
    await finish(deploy, "success");
    await finish(review, "success");

    const production = await environmentNamed(project, "production");
    assert.equal(production.tier, "production");
    assert.equal(production.auto_stop_at, null);
    const stopped = await stop(project, production.id);
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.state, "stopped");

    const reviewEnvironment = await environmentNamed(project, "review/x");
    assert.equal(reviewEnvironment.tier, "testing");
    const forced = await stop(project, reviewEnvironment.id, "root", "?force=true");
    assert.equal(forced.body.state, "stopped");
    const stopJob = (await pipelineJobs(project, review.job_info.pipeline_id)).find(
      (j) => j.name === "stop_x",
    );
    assert.equal(stopJob?.status, "manual");

    // An environment created through the API has no deployment, so no stop job either.
    const created = await as<Environment>("root", "POST", `/projects/${project.id}/environments`, {
      name: "staging",
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.tier, "staging");
    assert.equal((await stop(project, created.body.id)).body.state, "stopped");
  });

  test("prepare, verify and access jobs make no deployment; access renews auto_stop_at, verify does not; a stop job in the pipeline stops the environment", async () => {
    const project = await server.createProject("actions");
    await server.pushNew(project, {
      ".gitlab-ci.yml": [
        "stages: [prepare, deploy, check, teardown]",
        "prepare:",
        "  stage: prepare",
        "  script: [echo prepare]",
        "  environment: { name: qa, action: prepare }",
        "deploy:",
        "  stage: deploy",
        "  script: [echo deploy]",
        "  environment: { name: qa, auto_stop_in: 2 hours }",
        "verify:",
        "  stage: check",
        "  script: [echo verify]",
        "  environment: { name: qa, action: verify }",
        "access:",
        "  stage: check",
        "  script: [echo access]",
        "  environment: { name: qa, action: access }",
        "teardown:",
        "  stage: teardown",
        "  script: [echo teardown]",
        "  environment: { name: qa, action: stop }",
        "",
      ].join("\n"),
    });
    const prepare = await take(project, "prepare");
    await finish(prepare, "success");
    const prepared = await environmentNamed(project, "qa");
    assert.equal(prepared.last_deployment, null);
    assert.equal(prepared.auto_stop_at, null);

    const deploy = await take(project, "deploy");
    const deployedFrom = now();
    await finish(deploy, "success");
    const deployed = await environmentNamed(project, "qa");
    assertBetween(deployed.auto_stop_at, deployedFrom + 2 * HOUR, now() + 2 * HOUR);

    ahead += HOUR;
    const verify = await take(project, "verify");
    await finish(verify, "success");
    assert.equal((await environmentNamed(project, "qa")).auto_stop_at, deployed.auto_stop_at);
    const access = await take(project, "access");
    const accessedFrom = now();
    await finish(access, "success");
    assertBetween(
      (await environmentNamed(project, "qa")).auto_stop_at,
      accessedFrom + 2 * HOUR,
      now() + 2 * HOUR,
    );

    const deployments = await as<Deployment[]>(
      "root",
      "GET",
      `/projects/${project.id}/deployments`,
    );
    assert.deepEqual(
      deployments.body.map((d) => d.deployable?.name),
      ["deploy"],
    );

    const teardown = await take(project, "teardown");
    assert.equal((await environmentNamed(project, "qa")).state, "available");
    await finish(teardown, "success");
    const stopped = await environmentNamed(project, "qa");
    assert.equal(stopped.state, "stopped");
    assert.equal(stopped.auto_stop_at, null);
  });

  test("stopping and deleting need Developer, and Maintainer for a protected environment", async () => {
    const project = await server.createProject("roles");
    for (const [name, level] of [
      ["reporter", 20],
      ["developer", 30],
      ["maintainer", 40],
    ] as const) {
      const user = await server.api<{ id: number }>("POST", "/users", {
        username: `${name}-lifecycle`,
        name,
        email: `${name}-lifecycle@test`,
      });
      const token = await server.api<{ token: string }>(
        "POST",
        `/users/${user.body.id}/personal_access_tokens`,
        { name: "t", scopes: ["api"] },
      );
      tokens[name] = token.body.token;
      await server.api("POST", `/projects/${project.id}/members`, {
        user_id: user.body.id,
        access_level: level,
      });
    }
    const create = async (name: string, body: Record<string, unknown> = {}) => {
      const created = await as<Environment>(
        "maintainer",
        "POST",
        `/projects/${project.id}/environments`,
        { name, ...body },
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.id;
    };
    const open = await create("open");
    assert.equal((await stop(project, open, "reporter")).status, 403);
    assert.equal((await stop(project, open, "developer")).body.state, "stopped");
    assert.equal((await remove(project, open, "reporter")).status, 403);
    assert.equal((await remove(project, open, "developer")).status, 204);

    const guarded = await create("guarded", { protected: true });
    assert.equal((await stop(project, guarded, "developer")).status, 403);
    assert.equal((await environment(project, guarded)).state, "available");
    assert.equal((await stop(project, guarded, "maintainer")).body.state, "stopped");
    assert.equal((await remove(project, guarded, "developer")).status, 403);
    assert.equal((await remove(project, guarded, "maintainer")).status, 204);
  });
});
