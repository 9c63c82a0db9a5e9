/**
 * The REST subset works with the API clients teams already use, unchanged: `@gitbeaker/rest`
 * (npm) and `python-gitlab` (PyPI, installed by scripts/python-gitlab/setup.sh). Each drives a
 * real server: projects, variables, pipelines (create, list, get, cancel, retry), jobs (list,
 * get, trace), environments and runners, and a wrong token's 401.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { Gitlab } from "@gitbeaker/rest";
import { pythonGitlab, requirePeer } from "../testing/peers.js";
import { ROOT_TOKEN, startTestServer, type TestServer } from "../testing/server.js";

const PIPELINE =
  "stages: [build, test]\nbuild:\n  stage: build\n  script: [echo build]\ntest:\n  stage: test\n  script: [echo test]\n";

describe("API clients against conveyor server", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test("@gitbeaker/rest", async () => {
    const api = new Gitlab({ host: server.url, token: ROOT_TOKEN });
    const project = await api.Projects.create({ name: "beaker" });
    assert.equal(project.path_with_namespace, "root/beaker");
    await server.pushNew(
      {
        id: project.id,
        path_with_namespace: project.path_with_namespace,
        http_url_to_repo: project.http_url_to_repo,
      },
      { ".gitlab-ci.yml": PIPELINE },
    );
    const variable = await api.ProjectVariables.create(
      project.id,
      "BEAKER_SECRET",
      "beaker-secret-123",
      {
        masked: true,
      },
    );
    assert.equal(variable.masked, true);
    assert.equal(
      (await api.ProjectVariables.show(project.id, "BEAKER_SECRET")).value,
      "beaker-secret-123",
    );

    const created = await api.Pipelines.create(project.id, "main", {
      variables: [{ key: "FROM_BEAKER", value: "yes" }],
    });
    assert.equal(created.source, "api");
    const all = await api.Pipelines.all(project.id);
    assert.deepEqual(all.map((p) => p.id).includes(created.id), true);
    const jobs = await api.Jobs.all(project.id, { pipelineId: created.id });
    assert.deepEqual(jobs.map((j) => j.name).sort(), ["build", "test"]);
    const job = await api.Jobs.show(project.id, jobs[0]!.id);
    assert.ok(job.created_at);
    assert.equal(typeof (await api.Jobs.showLog(project.id, job.id)), "string");
    const projectJobs = await api.Jobs.all(project.id);
    assert.ok(projectJobs.length >= 2);

    const canceled = await api.Pipelines.cancel(project.id, created.id);
    assert.equal(canceled.status, "canceled");
    const retried = await api.Pipelines.retry(project.id, created.id);
    assert.notEqual(retried.status, "canceled");

    assert.deepEqual(await api.Environments.all(project.id), []);
    assert.ok(Array.isArray(await api.Runners.all()));

    const stranger = new Gitlab({ host: server.url, token: "glpat-not-a-token" });
    await assert.rejects(() => stranger.Projects.show(project.id), /Unauthorized|401/);
  });

  test("lists page as GitLab's do: 20 by default, Link and X-Next-Page followed by clients", async () => {
    const project = await server.createProject("paged");
    const jobs = Array.from({ length: 25 }, (_, i) => `job${i}:\n  script: [":"]\n`).join("");
    await server.pushNew(project, { ".gitlab-ci.yml": jobs });
    const pipeline = await server.waitFor(
      "the pipeline",
      async () =>
        (await server.api<{ id: number }[]>("GET", `/projects/${project.id}/pipelines`)).body[0],
    );
    const first = await server.api<unknown[]>(
      "GET",
      `/projects/${project.id}/pipelines/${pipeline.id}/jobs`,
    );
    assert.equal(first.body.length, 20);
    assert.equal(first.headers.get("x-next-page"), "2");
    assert.equal(first.headers.get("x-total"), "25");
    assert.match(first.headers.get("link") ?? "", /page=2&per_page=20>; rel="next"/);
    const api = new Gitlab({ host: server.url, token: ROOT_TOKEN });
    const all = await api.Jobs.all(project.id, { pipelineId: pipeline.id });
    assert.equal(all.length, 25);
  });

  const python = pythonGitlab();
  test("python-gitlab", { skip: requirePeer("python-gitlab", python) }, async () => {
    const project = await server.createProject("pyproject");
    await server.pushNew(project, { ".gitlab-ci.yml": PIPELINE });
    const script = fileURLToPath(
      new URL("../../test-peers/python_gitlab_scenario.py", import.meta.url),
    );
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        python!,
        [script, server.url, ROOT_TOKEN, String(project.id)],
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const result = JSON.parse(output) as Record<string, unknown>;
    assert.equal(result.user, "root");
    assert.equal(result.project, "root/pyproject");
    assert.equal(result.variable, "py-secret-value-123");
    const created = result.created as { id: number; source: string };
    assert.equal(created.source, "api");
    assert.ok((result.listed as number[]).includes(created.id));
    assert.deepEqual(result.jobs, ["build", "test"]);
    assert.deepEqual(result.job, { status: "pending", has_created_at: true });
    assert.equal(result.trace_type, "bytes");
    assert.equal(result.canceled, "canceled");
    assert.notEqual(result.retried, "canceled");
    assert.deepEqual(result.environments, []);
    assert.equal(typeof result.runners, "number");
    assert.equal(result.bad_token, 401);
  });
});
