import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { crc32 } from "../artifacts/crc32.js";
import { testPayload } from "../testing/fixtures.js";
import { RunnerClient } from "./client.js";
import { FakeCoordinator } from "./testing/fake-coordinator.js";
import { waitFor } from "./testing/scripted-executor.js";
import { TraceBuffer } from "./trace-buffer.js";
import { TraceSender, type TraceSenderOptions, type TraceTiming } from "./trace-sender.js";

/** Milliseconds instead of seconds: a header of `7` means 7 ms here. */
const FAST: Partial<TraceTiming> = {
  intervalMs: 5,
  secondMs: 1,
  forceSendIntervalMs: 60_000,
};

describe("TraceBuffer (§4.1)", () => {
  it("keeps a CRC-32 and size of exactly what it holds", () => {
    const buffer = new TraceBuffer();
    buffer.append(Buffer.from("hello "));
    buffer.append(Buffer.from("world\n"));
    const expected = crc32(Buffer.from("hello world\n")).toString(16).padStart(8, "0");
    assert.equal(buffer.size, 12);
    assert.equal(buffer.checksum, `crc32:${expected}`);
    assert.equal(Buffer.from(buffer.bytes()).toString(), "hello world\n");
  });

  it("stops at the output limit with one notice and keeps counting what it kept", () => {
    const buffer = new TraceBuffer(10);
    buffer.append(Buffer.from("0123456789abcdef"));
    buffer.append(Buffer.from("more"));
    const text = Buffer.from(buffer.bytes()).toString();
    assert.ok(text.startsWith("0123456789\n"));
    assert.match(text, /exceeded limit of 10 bytes/);
    assert.equal(text.match(/exceeded limit/g)?.length, 1);
    // Neither the rest of the first chunk nor the second chunk was kept.
    assert.ok(!text.includes("abcdef"));
    assert.ok(text.endsWith("collected.\x1b[0;m\n"));
    const expected = crc32(buffer.bytes()).toString(16).padStart(8, "0");
    assert.equal(buffer.checksum, `crc32:${expected}`);
  });
});

describe("TraceSender (§4)", () => {
  let fake: FakeCoordinator;
  let client: RunnerClient;
  let nextId = 500;

  before(async () => {
    fake = await FakeCoordinator.start();
    client = new RunnerClient({ url: fake.url, retry: { attempts: 1, initialMs: 1, maxMs: 1 } });
  });
  after(() => fake.close());

  async function runningJob() {
    const token = fake.addRunner();
    const payload = testPayload({ id: nextId++, token: `glcbt-trace-${nextId}` });
    const job = fake.enqueue(payload);
    assert.equal((await client.requestJob({ token })).kind, "job");
    return job;
  }

  function sender(
    job: Awaited<ReturnType<typeof runningJob>>,
    extra: Partial<TraceSenderOptions> = {},
  ) {
    return new TraceSender({
      client,
      jobId: job.payload.id,
      jobToken: job.payload.token,
      timing: FAST,
      ...extra,
    });
  }

  it("sends increments on its interval and flushes the rest", async () => {
    const job = await runningJob();
    const trace = sender(job);
    trace.start();
    trace.write(Buffer.from("line 1\n"));
    await waitFor(() => job.trace.toString() === "line 1\n");
    trace.write(Buffer.from("line 2\n"));
    await waitFor(() => job.trace.toString() === "line 1\nline 2\n");
    await trace.stop();
    trace.write(Buffer.from("last line\n"));
    assert.equal(await trace.flush(), "sent");
    assert.equal(job.trace.toString(), "line 1\nline 2\nlast line\n");
    assert.equal(trace.sentOffset, trace.bytesize);
    assert.ok(job.patches.length >= 3 && job.patches.every((status) => status === 202));
  });

  it("splits a large log into PATCHes of at most the patch limit", async () => {
    const job = await runningJob();
    const trace = sender(job, { timing: { ...FAST, patchLimitBytes: 1000 } });
    const log = Buffer.alloc(3500, "x");
    trace.write(log);
    assert.equal(await trace.flush(), "sent");
    assert.deepEqual(job.trace, log);
    assert.equal(job.patches.length, 4);
  });

  it("resends from the server's length after a 416", async () => {
    const job = await runningJob();
    const trace = sender(job);
    trace.write(Buffer.from("0123456789"));
    assert.equal(await trace.flush(), "sent");
    fake.truncateTrace(job.payload.id, 4); // the server lost bytes 4..9
    trace.write(Buffer.from("abc"));
    assert.equal(await trace.flush(), "sent");
    assert.equal(job.trace.toString(), "0123456789abc");
    assert.deepEqual(job.patches, [202, 416, 202]);
  });

  it("honours X-GitLab-Trace-Update-Interval, capped at the maximum, and resets for the final update", async () => {
    const job = await runningJob();
    fake.traceIntervalSeconds = 7;
    try {
      const trace = sender(job, { timing: { ...FAST, maxIntervalMs: 6 } });
      trace.write(Buffer.from("x"));
      await trace.flush();
      assert.equal(trace.intervalMs, 6);
      trace.applyInterval(3);
      assert.equal(trace.intervalMs, 3);
      trace.resetInterval();
      assert.equal(trace.intervalMs, FAST.intervalMs);
    } finally {
      fake.traceIntervalSeconds = undefined;
    }
  });

  it("reports Job-Status: canceling once as a cancel and keeps sending", async () => {
    const job = await runningJob();
    let cancels = 0;
    const trace = sender(job, { onCancel: () => cancels++ });
    trace.start();
    fake.cancel(job.payload.id, true);
    trace.write(Buffer.from("a"));
    await waitFor(() => cancels === 1);
    trace.write(Buffer.from("b"));
    await waitFor(() => job.trace.toString() === "ab");
    await trace.stop();
    assert.equal(cancels, 1);
    assert.equal(trace.remote, "cancel");
  });

  it("treats a 403 on the trace as an abort and stops sending", async () => {
    const job = await runningJob();
    const reasons: string[] = [];
    const trace = sender(job, { onAbort: (why) => reasons.push(why) });
    trace.start();
    fake.cancel(job.payload.id, false);
    trace.write(Buffer.from("a"));
    await waitFor(() => reasons.length === 1);
    trace.write(Buffer.from("b"));
    assert.equal(await trace.flush(), "aborted");
    await trace.stop();
    assert.deepEqual(reasons, ["the job is canceled on the server"]);
    assert.deepEqual(job.patches, [403]);
  });

  it("keeps the job alive with PUT state=running when no PATCH went out for a while", async () => {
    const job = await runningJob();
    const trace = sender(job, { timing: { ...FAST, forceSendIntervalMs: 1 } });
    trace.start();
    await waitFor(() => job.updates.some((u) => u.state === "running"));
    await trace.stop();
    const touch = job.updates.find((u) => u.state === "running")!;
    assert.deepEqual(touch.output, { checksum: "crc32:00000000", bytesize: 0 });
    assert.equal(job.patches.length, 0);
  });
});
