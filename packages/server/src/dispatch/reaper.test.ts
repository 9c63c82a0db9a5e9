/**
 * A runner that stops sending updates loses its job: after the silence limit the job fails with
 * `runner_system_failure` (GitLab's stuck-job handling, protocol §6.2), and the job's `retry`
 * decides whether a new attempt is queued (docs: ci/yaml/#retrywhen).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { registerRunner, requestJob, startTestServer, type TestServer } from "../testing/server.js";

async function takeJob(server: TestServer, token: string): Promise<JobPayload> {
  return server.waitFor("a job", async () => {
    return (await requestJob(server, token)).payload;
  });
}

describe("silent runners", () => {
  let server: TestServer;
  let runnerToken: string;
  before(async () => {
    server = await startTestServer({ runnerSilenceSeconds: 1 });
    runnerToken = await registerRunner(server);
  });
  after(() => server.close());

  test("a job whose runner went silent fails with runner_system_failure and is retried when retry says so", async () => {
    const project = await server.createProject("silent");
    await server.pushNew(project, {
      ".gitlab-ci.yml": [
        "lost:",
        "  script: [sleep 100]",
        "  retry: { max: 1, when: [runner_system_failure] }",
        "",
      ].join("\n"),
    });
    const first = await takeJob(server, runnerToken);
    // No update, no trace: the reaper fails it.
    const failed = await server.waitFor("the job to fail", async () => {
      const job = await server.api<{ status: string; failure_reason: string }>(
        "GET",
        `/projects/${project.id}/jobs/${first.id}`,
      );
      return job.body.status === "failed" ? job.body : undefined;
    });
    assert.equal(failed.failure_reason, "runner_system_failure");
    // Its token is dead; the retry is a new attempt another request gets.
    const late = await fetch(`${server.url}/api/v4/jobs/${first.id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "JOB-TOKEN": first.token },
      body: JSON.stringify({ state: "success" }),
    });
    assert.equal(late.status, 403);
    const second = await takeJob(server, runnerToken);
    assert.notEqual(second.id, first.id);
    assert.equal(second.job_info.name, "lost");
  });

  test("a runner that keeps sending updates keeps its job", async () => {
    const project = await server.createProject("alive");
    await server.pushNew(project, { ".gitlab-ci.yml": "alive:\n  script: [sleep 100]\n" });
    const job = await takeJob(server, runnerToken);
    for (let i = 0; i < 6; i++) {
      const touched = await fetch(`${server.url}/api/v4/jobs/${job.id}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "JOB-TOKEN": job.token },
        body: JSON.stringify({ state: "running" }),
      });
      assert.equal(touched.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    const still = await server.api<{ status: string }>(
      "GET",
      `/projects/${project.id}/jobs/${job.id}`,
    );
    assert.equal(still.body.status, "running");
  });
});
