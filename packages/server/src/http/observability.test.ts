/**
 * What operators read: `GET /api/v4/version` once the server is ready, Prometheus metrics at
 * `/metrics` (text exposition format) that move with the jobs, and the OpenAPI document listing
 * the routes the server serves.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { registerRunner, requestJob, startTestServer, type TestServer } from "../testing/server.js";

describe("version, metrics, OpenAPI", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ version: "9.8.7" });
  });
  after(() => server.close());

  test("the version answers", async () => {
    const answer = await server.api<{ version: string }>("GET", "/version");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.version, "9.8.7");
  });

  test("metrics count finished jobs, queue waits and runners online", async () => {
    const token = await registerRunner(server);
    const project = await server.createProject("metered");
    await server.pushNew(project, { ".gitlab-ci.yml": "one:\n  script: [':']\n" });
    const job = await server.waitFor(
      "a job",
      async () => (await requestJob(server, token)).payload,
    );
    await fetch(`${server.url}/api/v4/jobs/${job.id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "JOB-TOKEN": job.token },
      body: JSON.stringify({ state: "success" }),
    });
    const response = await fetch(`${server.url}/metrics`);
    assert.match(response.headers.get("content-type") ?? "", /text\/plain/);
    const text = await response.text();
    assert.match(text, /^conveyor_jobs_finished_total\{status="success"\} 1$/m);
    assert.match(text, /^conveyor_job_queue_wait_seconds_count 1$/m);
    assert.match(text, /^conveyor_runners_online 1$/m);
    assert.match(text, /^conveyor_jobs_pending 0$/m);
  });

  test("the OpenAPI document lists the API's routes", async () => {
    const answer = await fetch(`${server.url}/api/v4/openapi.json`);
    const document = (await answer.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(document.openapi, /^3\./);
    for (const path of [
      "/api/v4/jobs/request",
      "/api/v4/projects/{id}/pipelines",
      "/api/v4/projects/{id}/variables",
      "/api/v4/user/runners",
    ]) {
      assert.ok(path in document.paths, `${path} is documented`);
    }
  });
});
