/**
 * A deploying job's deployment record against a real server (real store, real HTTP, real git
 * pushes, the runner protocol for every job), as GitLab keeps it (docs: api/deployments,
 * https://docs.gitlab.com/api/deployments/): made `created` with the pipeline, in the
 * environment named as the job's payload names it (predefined, YAML and project variables),
 * `running` when a runner takes the job, then the job's end; a skipped job's is `skipped`, a
 * manual job nobody plays leaves it `created`, a retry makes a new one. Jobs that do not deploy
 * (`action: stop`) make none.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import {
  registerRunner,
  requestJob,
  startTestServer,
  type TestProject,
  type TestServer,
  waitUntil,
} from "../testing/server.js";

interface Deployment {
  id: number;
  iid: number;
  status: string;
  ref: string | null;
  sha: string | null;
  started_at: string | null;
  finished_at: string | null;
  deployable: { id: number; name: string; status: string } | null;
  environment: { id: number; name: string } | null;
}

interface Environment {
  id: number;
  name: string;
  state: string;
}

const PIPELINE = [
  "stages: [first, second]",
  "variables:",
  "  REGION: eu",
  "review:",
  "  stage: first",
  "  script: [./deploy.sh]",
  "  environment:",
  "    name: review/$CI_COMMIT_REF_SLUG-$REGION-$COLOUR",
  "    on_stop: stop_review",
  "production:",
  "  stage: first",
  "  when: manual",
  "  script: [./deploy.sh]",
  "  environment: production",
  "check:",
  "  stage: first",
  "  script: [./check.sh]",
  "staging:",
  "  stage: second",
  "  script: [./deploy.sh]",
  "  environment: { name: staging }",
  "stop_review:",
  "  stage: second",
  "  when: manual",
  "  script: [./stop.sh]",
  "  environment:",
  "    name: review/$CI_COMMIT_REF_SLUG-$REGION-$COLOUR",
  "    action: stop",
  "",
].join("\n");

describe("deployments made with their pipeline", () => {
  let server: TestServer;
  let runner: string;
  /** Jobs the runner took while the test waited for another one, by name. */
  const taken = new Map<string, JobPayload[]>();

  before(async () => {
    server = await startTestServer();
    runner = await registerRunner(server);
  });

  after(() => server.close());

  const take = (name: string): Promise<JobPayload> =>
    waitUntil(`job ${name} for a runner`, async () => {
      const waiting = taken.get(name)?.shift();
      if (waiting) return waiting;
      const answer = await requestJob(server, runner);
      if (!answer.payload) return undefined;
      if (answer.payload.job_info.name === name) return answer.payload;
      const other = answer.payload.job_info.name;
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

  const deployments = async (project: TestProject, query = "") => {
    const answer = await server.api<Deployment[]>(
      "GET",
      `/projects/${project.id}/deployments${query}`,
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };

  /** Deployment statuses by job name. */
  const statuses = async (project: TestProject) =>
    Object.fromEntries((await deployments(project)).map((d) => [d.deployable?.name, d.status]));

  test("created with the pipeline, running when taken, then the job's end; skipped, manual and retried jobs", async () => {
    const project = await server.createProject("pipeline-deployments");
    const variable = await server.api("POST", `/projects/${project.id}/variables`, {
      key: "COLOUR",
      value: "blue",
    });
    assert.equal(variable.status, 201);
    const pushed = await server.pushNew(project, { ".gitlab-ci.yml": PIPELINE });

    // Before any runner asked: one `created` deployment per deploying job, in job order, in
    // environments named with predefined, YAML and project variables.
    const planned = await waitUntil("the pipeline's deployments", async () => {
      const found = await deployments(project);
      return found.length === 3 ? found : undefined;
    });
    assert.deepEqual(
      planned.map((d) => [d.deployable?.name, d.status, d.environment?.name]),
      [
        ["review", "created", "review/main-eu-blue"],
        ["production", "created", "production"],
        ["staging", "created", "staging"],
      ],
    );
    assert.deepEqual(
      planned.map((d) => d.iid),
      [1, 2, 3],
    );
    for (const deployment of planned) {
      assert.equal(deployment.ref, "main");
      assert.equal(deployment.sha, pushed.sha);
      assert.equal(deployment.started_at, null);
      assert.equal(deployment.finished_at, null);
    }
    const environments = await server.api<Environment[]>(
      "GET",
      `/projects/${project.id}/environments`,
    );
    assert.deepEqual(environments.body.map((e) => [e.name, e.state]).sort(), [
      ["production", "available"],
      ["review/main-eu-blue", "available"],
      ["staging", "available"],
    ]);

    // The runner sees the same name; taking the job starts its deployment, and only its.
    const review = await take("review");
    assert.equal(
      review.variables.find((v) => v.key === "CI_ENVIRONMENT_NAME")?.value,
      "review/main-eu-blue",
    );
    assert.deepEqual(await statuses(project), {
      review: "running",
      production: "created",
      staging: "created",
    });
    const running = (await deployments(project, "?status=running"))[0]!;
    assert.equal(running.id, planned[0]!.id);
    assert.ok(running.started_at);

    await finish(review, "success");
    // `check` fails, so `staging` (next stage, on_success) never runs.
    await finish(await take("check"), "failed");
    const ended = await waitUntil("staging's deployment to be skipped", async () => {
      const now = await statuses(project);
      return now.staging === "skipped" ? now : undefined;
    });
    // The manual job nobody played keeps its deployment `created` (GitLab's `blocked` is for
    // deployments waiting for approvals).
    assert.deepEqual(ended, { review: "success", production: "created", staging: "skipped" });
    const finished = (await deployments(project, "?status=success"))[0]!;
    assert.equal(finished.deployable?.id, review.id);
    assert.ok(finished.finished_at);
    assert.deepEqual(
      (await deployments(project, "?status=skipped")).map((d) => d.deployable?.name),
      ["staging"],
    );
    assert.deepEqual(
      (await deployments(project, "?status=created")).map((d) => d.deployable?.name),
      ["production"],
    );
    assert.deepEqual(await deployments(project, "?status=blocked"), []);
    const invalid = await server.api("GET", `/projects/${project.id}/deployments?status=done`);
    assert.equal(invalid.status, 400);

    // A retry is a new job: it gets a new `created` deployment, which its run starts.
    const retried = await server.api<{ id: number; name: string }>(
      "POST",
      `/projects/${project.id}/jobs/${review.id}/retry`,
    );
    assert.equal(retried.status, 201);
    const again = await waitUntil("the retry's deployment", async () => {
      const found = await deployments(project, "?environment=review/main-eu-blue");
      return found.length === 2 ? found : undefined;
    });
    assert.deepEqual(
      again.map((d) => [d.deployable?.id, d.status]),
      [
        [review.id, "success"],
        [retried.body.id, "created"],
      ],
    );
    const rerun = await take("review");
    assert.equal(rerun.id, retried.body.id);
    assert.equal((await deployments(project, "?status=running"))[0]?.deployable?.id, rerun.id);
    await finish(rerun, "success");
    assert.deepEqual(
      (await deployments(project, "?environment=review/main-eu-blue")).map((d) => d.status),
      ["success", "success"],
    );
  });

  test("a canceled pipeline cancels the deployments of jobs that did not run", async () => {
    const project = await server.createProject("canceled-deployments");
    await server.pushNew(project, {
      ".gitlab-ci.yml": [
        "build:",
        "  stage: build",
        "  script: [make]",
        "deploy:",
        "  stage: deploy",
        "  script: [./deploy.sh]",
        "  environment: production",
        "",
      ].join("\n"),
    });
    const created = await waitUntil("the deployment", async () => {
      const found = await deployments(project);
      return found.length === 1 ? found[0] : undefined;
    });
    assert.equal(created.status, "created");
    const pipelines = await server.api<{ id: number }[]>(
      "GET",
      `/projects/${project.id}/pipelines`,
    );
    const canceled = await server.api(
      "POST",
      `/projects/${project.id}/pipelines/${pipelines.body[0]!.id}/cancel`,
    );
    assert.equal(canceled.status, 201);
    await waitUntil("the deployment to be canceled", async () =>
      (await deployments(project))[0]?.status === "canceled" ? true : undefined,
    );
  });
});
