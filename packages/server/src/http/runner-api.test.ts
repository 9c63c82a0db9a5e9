/**
 * The runner API as a runner meets it (../shared/specs/runner-protocol.md §2): a real server,
 * a real git push creating the pipeline, and HTTP requests shaped as gitlab-runner sends them.
 * Pins registration, long polling, tag matching, the incremental trace with its 416 resync, the
 * final update, artifact upload and download between stages, and job tokens that stop working
 * when the job ends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { registerRunner, requestJob, startTestServer, type TestServer } from "../testing/server.js";

const PIPELINE = `
stages: [build, test]
build:
  stage: build
  tags: [linux]
  script: [echo build]
  artifacts: { paths: [out/] }
test:
  stage: test
  script: [echo test]
`;

interface Runner {
  token: string;
  request(
    lastUpdate?: string,
  ): Promise<{ status: number; payload?: JobPayload; lastUpdate: string }>;
}

async function runnerWith(server: TestServer, tags: string[], runUntagged = true): Promise<Runner> {
  const token = await registerRunner(server, {
    tag_list: tags.join(","),
    run_untagged: runUntagged,
  });
  assert.match(token, /^glrt-/);
  return {
    token,
    request: (lastUpdate) =>
      requestJob(server, token, {
        ...(lastUpdate ? { last_update: lastUpdate } : {}),
        info: { name: "test-runner", executor: "shell", features: { trace_reset: true } },
      }),
  };
}

function jobCall(
  server: TestServer,
  payload: JobPayload,
  method: string,
  path: string,
  init: RequestInit = {},
) {
  return fetch(`${server.url}/api/v4/jobs/${payload.id}${path}`, {
    ...init,
    method,
    headers: { "JOB-TOKEN": payload.token, ...(init.headers as Record<string, string>) },
  });
}

function finish(server: TestServer, payload: JobPayload, state: "success" | "failed") {
  return jobCall(server, payload, "PUT", "", {
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      token: payload.token,
      state,
      ...(state === "failed"
        ? { failure_reason: "script_failure", exit_code: 1 }
        : { exit_code: 0 }),
    }),
  });
}

/** A zip holding one empty file `out/a.txt` (stored, no compression). */
function tinyZip(): Buffer {
  const name = Buffer.from("out/a.txt");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length, 16);
  return Buffer.concat([local, name, central, name, end]);
}

describe("runner API", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test("a pushed pipeline runs through the protocol: tags, trace, artifacts, final states", async () => {
    const tagged = await runnerWith(server, ["linux"], false);
    const untaggedOnly = await runnerWith(server, []);
    const project = await server.createProject("protocol");

    // A runner that saw the current queue version is held until a job arrives.
    const first = await tagged.request();
    assert.equal(first.status, 204);
    const held = tagged.request(first.lastUpdate);
    const { sha } = await server.pushNew(project, {
      ".gitlab-ci.yml": PIPELINE,
      "README.md": "hi\n",
    });
    const build = await held;
    assert.equal(build.status, 201);
    const payload = build.payload!;
    assert.equal(payload.job_info.name, "build");
    assert.equal(payload.git_info.sha, sha);
    assert.match(payload.git_info.repo_url, /^http:\/\/gitlab-ci-token:glcbt-/);
    const variables = Object.fromEntries(payload.variables.map((v) => [v.key, v.value]));
    assert.equal(variables.CI_PIPELINE_SOURCE, "push");
    assert.equal(variables.CI_COMMIT_SHA, sha);

    // The untagged-only runner may not take the tagged job; nothing else is queued.
    assert.equal((await untaggedOnly.request()).status, 204);

    // The job token clones the project while the job runs.
    const refs = await fetch(
      `${server.url}/${project.path_with_namespace}.git/info/refs?service=git-upload-pack`,
      {
        headers: {
          Authorization: `Basic ${Buffer.from(`gitlab-ci-token:${payload.token}`).toString("base64")}`,
        },
      },
    );
    assert.equal(refs.status, 200);

    // Trace: appended at the right offset, 416 with the stored range at a wrong one.
    const patch = (offset: number, text: string) =>
      jobCall(server, payload, "PATCH", "/trace", {
        headers: {
          "Content-Range": `${offset}-${offset + text.length - 1}`,
          "Content-Type": "text/plain",
        },
        body: text,
      });
    assert.equal((await patch(0, "hello ")).status, 202);
    const wrong = await patch(3, "again");
    assert.equal(wrong.status, 416);
    assert.equal(wrong.headers.get("range"), "0-6");
    assert.equal((await patch(6, "world\n")).status, 202);

    const upload = new FormData();
    upload.append("file", new Blob([tinyZip()]), "artifacts.zip");
    const uploaded = await jobCall(
      server,
      payload,
      "POST",
      "/artifacts?artifact_format=zip&artifact_type=archive",
      {
        body: upload,
      },
    );
    assert.equal(uploaded.status, 201);
    assert.equal((await finish(server, payload, "success")).status, 200);

    // The job is over: its token no longer works.
    assert.equal((await patch(12, "late")).status, 403);

    const test = await untaggedOnly.request();
    assert.equal(test.status, 201);
    const testPayload = test.payload!;
    assert.equal(testPayload.job_info.name, "test");
    const dependency = testPayload.dependencies?.find((d) => d.name === "build");
    assert.ok(dependency?.artifacts_file, "the build job has an archive");
    const download = await fetch(`${server.url}/api/v4/jobs/${dependency.id}/artifacts`, {
      headers: { "JOB-TOKEN": testPayload.token },
    });
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), tinyZip());
    assert.equal((await finish(server, testPayload, "success")).status, 200);

    const trace = await server.api<string>(
      "GET",
      `/projects/${project.id}/jobs/${payload.id}/trace`,
    );
    assert.equal(trace.body, "hello world\n");
    const pipelines = await server.api<{ status: string }[]>(
      "GET",
      `/projects/${project.id}/pipelines`,
    );
    assert.equal(pipelines.body[0]?.status, "success");
  });

  test("a failed job fails the pipeline; a retry through the API queues a new attempt", async () => {
    const runner = await runnerWith(server, ["linux"]);
    const project = await server.createProject("retry");
    await server.pushNew(project, { ".gitlab-ci.yml": "job:\n  script: [exit 1]\n" });
    const job = await server.waitFor("the job", async () => (await runner.request()).payload);
    assert.equal((await finish(server, job, "failed")).status, 200);
    const failed = await server.api<{ status: string; failure_reason: string }>(
      "GET",
      `/projects/${project.id}/jobs/${job.id}`,
    );
    assert.equal(failed.body.status, "failed");
    assert.equal(failed.body.failure_reason, "script_failure");
    const retried = await server.api<{ id: number; status: string }>(
      "POST",
      `/projects/${project.id}/jobs/${job.id}/retry`,
    );
    assert.equal(retried.status, 201);
    assert.notEqual(retried.body.id, job.id);
    assert.equal(retried.body.status, "pending");
    const again = await server.waitFor(
      "the retried job",
      async () => (await runner.request()).payload,
    );
    assert.equal(again.id, retried.body.id);
  });

  test("cancel reaches the runner: Job-Status canceling on its next trace, canceled once it reports", async () => {
    const runner = await runnerWith(server, ["linux"]);
    const project = await server.createProject("cancel");
    await server.pushNew(project, { ".gitlab-ci.yml": "long:\n  script: [sleep 100]\n" });
    const job = await server.waitFor("the job", async () => (await runner.request()).payload);
    const canceled = await server.api("POST", `/projects/${project.id}/jobs/${job.id}/cancel`);
    assert.equal(canceled.status, 201);
    const patch = await jobCall(server, job, "PATCH", "/trace", {
      headers: { "Content-Range": "0-4", "Content-Type": "text/plain" },
      body: "hello",
    });
    // The runner hears it on its next call and stops the job (protocol §1.4).
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get("job-status"), "canceling");
    const shown = await server.api<{ status: string }>(
      "GET",
      `/projects/${project.id}/jobs/${job.id}`,
    );
    assert.equal(shown.body.status, "canceling");
    assert.equal((await finish(server, job, "failed")).status, 200);
    const after = await server.api<{ status: string }>(
      "GET",
      `/projects/${project.id}/jobs/${job.id}`,
    );
    assert.equal(after.body.status, "canceled");
    const [pipeline] = (
      await server.api<{ status: string }[]>("GET", `/projects/${project.id}/pipelines`)
    ).body;
    assert.equal(pipeline?.status, "canceled");
  });
});
