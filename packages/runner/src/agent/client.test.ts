import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { testPayload } from "../testing/fixtures.js";
import { RunnerApiError, RunnerClient } from "./client.js";
import { runnerInfo } from "./runner-info.js";
import { FakeCoordinator } from "./testing/fake-coordinator.js";

const FAST_RETRY = { attempts: 3, initialMs: 1, maxMs: 5 };
const info = runnerInfo({ version: "0.1.0", executor: "shell", shell: "bash" });

describe("RunnerClient", () => {
  let fake: FakeCoordinator;
  let client: RunnerClient;
  let dir: string;
  let nextId = 100;

  before(async () => {
    fake = await FakeCoordinator.start();
    dir = await mkdtemp(join(tmpdir(), "conveyor-client-"));
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    client = new RunnerClient({ url: fake.url, retry: FAST_RETRY });
  });

  /** A job assigned to a runner, as after a 201. */
  async function runningJob() {
    const token = fake.addRunner();
    const payload = testPayload({ id: nextId++, token: `glcbt-job-${nextId}-secret` });
    fake.enqueue(payload);
    const answer = await client.requestJob({ token });
    assert.equal(answer.kind, "job");
    return payload;
  }

  describe("registration (§2.1–§2.4)", () => {
    it("registers with a registration token, sending tags and run_untagged", async () => {
      const creds = await client.register({
        registrationToken: fake.registrationToken,
        description: "ci-box",
        tags: ["docker", "linux"],
        runUntagged: false,
        info,
      });
      assert.equal(typeof creds.id, "number");
      const runner = fake.runners.get(creds.token);
      assert.deepEqual(runner?.tags, ["docker", "linux"]);
      assert.equal(runner?.runUntagged, false);
      assert.equal(runner?.description, "ci-box");
    });

    it("names the endpoint and status of a refused registration, never the token", async () => {
      const secret = "wrong-registration-token-4711";
      await assert.rejects(client.register({ registrationToken: secret }), (error: unknown) => {
        assert.ok(error instanceof RunnerApiError);
        assert.equal(error.status, 403);
        assert.match(error.message, /^POST runners: .*403/);
        assert.ok(!error.message.includes(secret));
        return true;
      });
    });

    it("verify adopts a glrt- token and returns the runner id", async () => {
      const token = fake.addRunner("glrt-adopt-me-0123456789");
      const creds = await client.verify({ token, systemId: "s_0123456789ab", info });
      assert.equal(creds.token, token);
      assert.equal(creds.id, fake.runners.get(token)?.id);
    });

    it("verify of an unknown token fails with 403 and does not show the token", async () => {
      const token = "glrt-not-known-anywhere-99";
      await assert.rejects(client.verify({ token }), (error: unknown) => {
        assert.ok(error instanceof RunnerApiError);
        assert.equal(error.status, 403);
        assert.ok(!error.message.includes(token));
        return true;
      });
    });

    it("unregisters a legacy token with DELETE runners and a glrt- token with DELETE runners/managers", async () => {
      const legacy = (await client.register({ registrationToken: fake.registrationToken })).token;
      await client.unregister(legacy, "s_0123456789ab");
      assert.equal(fake.runners.has(legacy), false);
      assert.equal(fake.calls.at(-1), "DELETE /api/v4/runners");

      const created = fake.addRunner("glrt-manager-token-000001");
      await client.unregister(created, "s_0123456789ab");
      assert.equal(fake.calls.at(-1), "DELETE /api/v4/runners/managers");
    });
  });

  describe("jobs/request (§2.7)", () => {
    it("answers none on 204 and echoes X-GitLab-Last-Update as last_update", async () => {
      const token = fake.addRunner();
      assert.deepEqual(await client.requestJob({ token, systemId: "s_0123456789ab", info }), {
        kind: "none",
      });
      const seen = fake.queueVersion;
      assert.equal(client.lastUpdate, seen);
      await client.requestJob({ token, info });
      const [first, second] = fake.jobRequests.slice(-2);
      assert.equal(first!.body.last_update, undefined);
      assert.equal(second!.body.last_update, seen);
      assert.equal(second!.headers["runner-token"], token);
    });

    it("announces the runner's features in info", async () => {
      const token = fake.addRunner();
      await client.requestJob({ token, info });
      const sent = fake.jobRequests.at(-1)!.body.info as { features: Record<string, boolean> };
      for (const feature of [
        "trace_reset",
        "trace_checksum",
        "trace_size",
        "cancelable",
        "cancel_gracefully",
        "upload_multiple_artifacts",
        "artifacts",
        "cache",
        "masking",
      ]) {
        assert.equal(sent.features[feature], true, feature);
      }
    });

    it("returns the job of a 201", async () => {
      const token = fake.addRunner();
      const payload = testPayload({ id: nextId++ });
      fake.enqueue(payload);
      const answer = await client.requestJob({ token });
      assert.equal(answer.kind, "job");
      assert.deepEqual(answer.kind === "job" && answer.job, payload);
    });

    it("reports 409 as a conflict and an unknown token as forbidden", async () => {
      const token = fake.addRunner();
      fake.jobRequestAnswers.push(409);
      assert.equal((await client.requestJob({ token })).kind, "conflict");
      assert.equal((await client.requestJob({ token: "glrt-unknown-token" })).kind, "forbidden");
    });

    it("retries a 502 (§1.3) and then gets the job", async () => {
      const token = fake.addRunner();
      const payload = testPayload({ id: nextId++ });
      fake.enqueue(payload);
      fake.jobRequestAnswers.push(502, 502);
      const answer = await client.requestJob({ token });
      assert.equal(answer.kind, "job");
      assert.deepEqual(
        fake.jobRequests.slice(-3).map((r) => r.answered),
        [502, 502, 201],
      );
    });

    it("throws an error naming the endpoint when retries run out", async () => {
      const token = fake.addRunner();
      fake.jobRequestAnswers.push(503, 503, 503);
      await assert.rejects(client.requestJob({ token }), (error: unknown) => {
        assert.ok(error instanceof RunnerApiError);
        assert.equal(error.status, 503);
        assert.equal(error.transient, true);
        assert.match(error.message, /^POST jobs\/request: unexpected status 503/);
        assert.ok(!error.message.includes(token));
        return true;
      });
    });

    it("is held by a long-polling server until a job arrives", async () => {
      fake.longPollMs = 20_000;
      try {
        const token = fake.addRunner();
        await client.requestJob({ token }); // learns the queue version
        const held = client.requestJob({ token });
        // The second request carries the current version, so the server holds it.
        const { waitFor } = await import("./testing/scripted-executor.js");
        await waitFor(() => fake.jobRequests.at(-1)?.body.last_update === fake.queueVersion);
        const payload = testPayload({ id: nextId++ });
        fake.enqueue(payload);
        const answer = await held;
        assert.equal(answer.kind, "job");
      } finally {
        fake.longPollMs = 0;
      }
    });

    it("ends a held request when its signal aborts", async () => {
      fake.longPollMs = 20_000;
      try {
        const token = fake.addRunner();
        await client.requestJob({ token });
        const stop = new AbortController();
        const held = client.requestJob({ token, signal: stop.signal });
        stop.abort();
        await assert.rejects(held, RunnerApiError);
      } finally {
        fake.longPollMs = 0;
      }
    });
  });

  describe("job updates and trace (§2.8, §2.9, §1.4)", () => {
    it("sends the token in header and body; a final update ends the job's token", async () => {
      const job = await runningJob();
      const ack = await client.updateJob(job.id, job.token, { state: "running" }, info);
      assert.equal(ack.kind, "accepted");
      const final = await client.updateJob(job.id, job.token, {
        state: "failed",
        failure_reason: "script_failure",
        exit_code: 3,
        output: { checksum: "crc32:00000000", bytesize: 0 },
      });
      assert.equal(final.kind, "accepted");
      const recorded = fake.finalUpdates(job.id)[0]!;
      assert.equal(recorded.failure_reason, "script_failure");
      assert.equal(recorded.exit_code, 3);
      const later = await client.updateJob(job.id, job.token, { state: "running" });
      assert.deepEqual(later, { kind: "aborted", status: 403, jobStatus: "failed" });
    });

    it("reports a 202 final update as retry-later with the server's interval", async () => {
      const job = await runningJob();
      fake.finalUpdateAnswers.push(202);
      fake.retryLaterSeconds = 4;
      const answer = await client.updateJob(job.id, job.token, { state: "success" });
      assert.equal(answer.kind, "retry-later");
      assert.equal(answer.kind === "retry-later" && answer.intervalSeconds, 4);
    });

    it("appends with an inclusive Content-Range and follows the server's Range", async () => {
      const job = await runningJob();
      const first = await client.patchTrace(job.id, job.token, 0, Buffer.from("hello "));
      assert.equal(first.kind, "accepted");
      assert.equal(first.kind === "accepted" && first.nextOffset, 6);
      const second = await client.patchTrace(job.id, job.token, 6, Buffer.from("world\n"));
      assert.equal(second.kind === "accepted" && second.nextOffset, 12);
      assert.equal(fake.jobs.get(job.id)!.trace.toString(), "hello world\n");
    });

    it("answers a 416 with the server's length to resend from", async () => {
      const job = await runningJob();
      await client.patchTrace(job.id, job.token, 0, Buffer.from("0123456789"));
      fake.truncateTrace(job.id, 4);
      const answer = await client.patchTrace(job.id, job.token, 10, Buffer.from("abc"));
      assert.equal(answer.kind, "range-mismatch");
      assert.equal(answer.kind === "range-mismatch" && answer.nextOffset, 4);
    });

    it("turns Job-Status: canceling into a cancel and a 403 into an abort", async () => {
      const job = await runningJob();
      fake.cancel(job.id, true);
      const canceling = await client.patchTrace(job.id, job.token, 0, Buffer.from("x"));
      assert.equal(canceling.kind, "accepted");
      assert.equal(canceling.kind === "accepted" && canceling.remote, "cancel");
      fake.cancel(job.id, false);
      const canceled = await client.patchTrace(job.id, job.token, 1, Buffer.from("y"));
      assert.deepEqual(canceled, { kind: "aborted", status: 403, jobStatus: "canceled" });
    });
  });

  describe("artifacts (§2.11, §2.12)", () => {
    it("uploads as multipart field file with the query, and downloads with a job token", async () => {
      const producer = await runningJob();
      const file = join(dir, "coverage.zip");
      const bytes = Buffer.from([0x50, 0x4b, 3, 4, 0, 1, 2, 3, 250, 251, 252]);
      await writeFile(file, bytes);
      await client.uploadArtifact(producer.id, producer.token, file, {
        artifactType: "archive",
        artifactFormat: "zip",
        expireIn: "1 week",
      });
      const stored = fake.jobs.get(producer.id)!.uploads[0]!;
      assert.equal(stored.artifactType, "archive");
      assert.equal(stored.artifactFormat, "zip");
      assert.equal(stored.expireIn, "1 week");
      assert.equal(stored.filename, "coverage.zip");
      assert.deepEqual(stored.bytes, bytes);

      const consumer = await runningJob();
      const downloaded = await client.downloadArtifacts(producer.id, consumer.token, dir);
      assert.ok(downloaded);
      assert.deepEqual(await readFile(downloaded), bytes);
      assert.equal(await client.downloadArtifacts(consumer.id, consumer.token, dir), undefined);
    });

    it("refuses a download with a token that is not running, without showing it", async () => {
      const producer = await runningJob();
      fake.storeArchive(producer.id, Buffer.from("zip"));
      const token = "glcbt-finished-job-token-77";
      await assert.rejects(client.downloadArtifacts(producer.id, token, dir), (error: unknown) => {
        assert.ok(error instanceof RunnerApiError);
        assert.equal(error.status, 403);
        assert.match(error.message, /^GET jobs\/\d+\/artifacts: /);
        assert.ok(!error.message.includes(token));
        return true;
      });
    });
  });

  it("rejects a server URL that is not http(s)", () => {
    assert.throws(() => new RunnerClient({ url: "ftp://example.test" }), /http or https/);
  });
});
