import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { crc32 } from "../artifacts/crc32.js";
import { testPayload, type TestPayloadOptions } from "../testing/fixtures.js";
import { RunnerClient } from "./client.js";
import { type JobSessionOptions, runJobSession, type SessionTiming } from "./job-session.js";
import { runnerInfo } from "./runner-info.js";
import { FakeCoordinator } from "./testing/fake-coordinator.js";
import {
  ScriptedExecutor,
  type StepBehavior,
  succeed,
  untilCanceled,
  waitFor,
} from "./testing/scripted-executor.js";

const TIMING: Partial<SessionTiming> = {
  intervalMs: 5,
  secondMs: 1,
  forceSendIntervalMs: 10,
  finalUpdate: { initialMs: 2, maxMs: 20 },
};
const NO_RETRY = { attempts: 1, initialMs: 1, maxMs: 1 };
const info = runnerInfo({ version: "0.1.0", executor: "shell", shell: "bash" });
const PROJECT = join("group", "project");

function checksumOf(bytes: Buffer): string {
  return `crc32:${crc32(bytes).toString(16).padStart(8, "0")}`;
}

describe("runJobSession", () => {
  let fake: FakeCoordinator;
  let client: RunnerClient;
  let root: string;
  let runnerToken: string;
  let nextId = 1000;

  before(async () => {
    fake = await FakeCoordinator.start();
    client = new RunnerClient({ url: fake.url, retry: NO_RETRY });
    root = await mkdtemp(join(tmpdir(), "conveyor-session-"));
    runnerToken = fake.addRunner();
  });
  after(async () => {
    await fake.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Queues a job that needs no git, and takes it as the runner would. */
  async function pickUp(
    options: TestPayloadOptions = {},
    extra: Partial<JobPayload> = {},
  ): Promise<JobPayload> {
    const id = nextId++;
    const payload: JobPayload = {
      ...testPayload({
        id,
        token: `glcbt-session-${id}-secret`,
        ...options,
        variables: [
          { key: "GIT_STRATEGY", value: "empty", public: true },
          ...(options.variables ?? []),
        ],
      }),
      ...extra,
    };
    fake.enqueue(payload);
    const answer = await client.requestJob({ token: runnerToken });
    assert.equal(answer.kind, "job");
    return payload;
  }

  function session(
    job: JobPayload,
    executor: ScriptedExecutor,
    extra: Partial<JobSessionOptions> = {},
  ) {
    return runJobSession({
      client,
      job,
      executor,
      info,
      runnerName: "test-runner",
      runnerToken,
      version: "0.1.0",
      buildsRoot: join(root, "builds"),
      cacheDir: join(root, "cache"),
      concurrentId: 0,
      timing: TIMING,
      ...extra,
    });
  }

  it("accepts the job, streams the log and reports success with the log's checksum and size", async () => {
    const job = await pickUp();
    const outcome = await session(job, new ScriptedExecutor(succeed));
    assert.deepEqual(outcome, { result: { state: "success" }, reported: true });
    const recorded = fake.jobs.get(job.id)!;
    assert.equal(recorded.updates[0]!.state, "running");
    assert.equal(recorded.updates[0]!.output, undefined);
    const [final] = fake.finalUpdates(job.id);
    assert.equal(final!.state, "success");
    assert.deepEqual(final!.output, {
      checksum: checksumOf(recorded.trace),
      bytesize: recorded.trace.length,
    });
    const log = recorded.trace.toString();
    assert.match(log, /running step_script/);
    assert.match(log, /Job succeeded/);
    assert.equal(recorded.status, "success");
  });

  it("reports a failed script with script_failure and its exit code", async () => {
    const job = await pickUp();
    const failing: StepBehavior = (step) =>
      step.name === "step_script"
        ? { exitCode: 3, timedOut: false, canceled: false }
        : succeed(step, undefined as never);
    const outcome = await session(job, new ScriptedExecutor(failing));
    assert.equal(outcome.reported, true);
    const [final] = fake.finalUpdates(job.id);
    assert.equal(final!.state, "failed");
    assert.equal(final!.failure_reason, "script_failure");
    assert.equal(final!.exit_code, 3);
  });

  it("retries the final update after 502s until it is accepted", async () => {
    const job = await pickUp();
    fake.finalUpdateAnswers.push(502, 502, 502);
    const outcome = await session(job, new ScriptedExecutor(succeed));
    assert.equal(outcome.reported, true);
    const finals = fake.jobs
      .get(job.id)!
      .updates.filter((u) => u.state === "success")
      .map((u) => u.answered);
    assert.deepEqual(finals, [502, 502, 502, 200]);
  });

  it("keeps the result while the server is down and reports it when it is back", async () => {
    const job = await pickUp();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let stepStarted = false;
    const blocking: StepBehavior = async (step) => {
      if (step.name !== "step_script") return succeed(step, undefined as never);
      stepStarted = true;
      await gate;
      step.output(Buffer.from("written while the server was down\n"));
      return { exitCode: 0, timedOut: false, canceled: false };
    };
    const logs: string[] = [];
    const running = session(job, new ScriptedExecutor(blocking), { log: (l) => logs.push(l) });
    await waitFor(() => stepStarted);
    await fake.stopListening();
    release();
    await waitFor(() => logs.some((l) => /final update failed \(attempt 2\)/.test(l)));
    await fake.listenAgain();
    const outcome = await running;
    assert.equal(outcome.reported, true);
    const recorded = fake.jobs.get(job.id)!;
    assert.match(recorded.trace.toString(), /written while the server was down/);
    assert.equal(fake.finalUpdates(job.id)[0]!.output!.bytesize, recorded.trace.length);
    assert.ok(logs.every((line) => !line.includes(job.token) && !line.includes(runnerToken)));
  });

  it("sends the final update again after a 202", async () => {
    const job = await pickUp();
    fake.finalUpdateAnswers.push(202, 202);
    const outcome = await session(job, new ScriptedExecutor(succeed));
    assert.equal(outcome.reported, true);
    const finals = fake.jobs
      .get(job.id)!
      .updates.filter((u) => u.state === "success")
      .map((u) => u.answered);
    assert.deepEqual(finals, [202, 202, 200]);
  });

  it("on Job-Status: canceling stops the script, runs after_script and reports the job failed", async () => {
    const job = await pickUp({ afterScript: ["echo after"] });
    let scriptStarted = false;
    const behavior: StepBehavior = (step) => {
      if (step.name === "step_script") {
        scriptStarted = true;
        return untilCanceled(step);
      }
      return succeed(step, undefined as never);
    };
    const executor = new ScriptedExecutor(behavior);
    const running = session(job, executor);
    await waitFor(() => scriptStarted);
    fake.cancel(job.id, true);
    const outcome = await running;
    assert.equal(outcome.reported, true);
    assert.equal(outcome.result?.canceled, true);
    assert.ok(executor.steps.includes(`${job.id}:after_script`));
    const [final] = fake.finalUpdates(job.id);
    assert.equal(final!.state, "failed");
    assert.equal(fake.jobs.get(job.id)!.status, "canceled");
    assert.match(fake.jobs.get(job.id)!.trace.toString(), /running after_script/);
  });

  it("on a 403 (job canceled on the server) aborts at once and sends no final update", async () => {
    const job = await pickUp({ afterScript: ["echo after"] });
    let scriptStarted = false;
    const behavior: StepBehavior = (step) => {
      if (step.name === "step_script") {
        scriptStarted = true;
        return untilCanceled(step);
      }
      return succeed(step, undefined as never);
    };
    const executor = new ScriptedExecutor(behavior);
    const running = session(job, executor);
    await waitFor(() => scriptStarted);
    fake.cancel(job.id, false);
    const outcome = await running;
    assert.equal(outcome.reported, false);
    assert.equal(outcome.serverAbort, "the job is canceled on the server");
    assert.ok(!executor.steps.includes(`${job.id}:after_script`));
    assert.deepEqual(
      fake.jobs.get(job.id)!.updates.filter((u) => u.state !== "running"),
      [],
    );
    assert.equal(executor.running, 0);
  });

  it("drops a job the server canceled before it was accepted, without running it", async () => {
    const job = await pickUp();
    fake.cancel(job.id, false);
    const executor = new ScriptedExecutor(succeed);
    const outcome = await session(job, executor);
    assert.equal(outcome.reported, false);
    assert.equal(outcome.result, undefined);
    assert.deepEqual(executor.prepared, []);
  });

  it("reports runner_system_failure when this host hard-aborts the job", async () => {
    const job = await pickUp();
    let scriptStarted = false;
    const behavior: StepBehavior = (step) => {
      if (step.name === "step_script") {
        scriptStarted = true;
        return untilCanceled(step);
      }
      return succeed(step, undefined as never);
    };
    const abort = new AbortController();
    const running = session(job, new ScriptedExecutor(behavior), { abortSignal: abort.signal });
    await waitFor(() => scriptStarted);
    abort.abort();
    const outcome = await running;
    assert.equal(outcome.reported, true);
    const [final] = fake.finalUpdates(job.id);
    assert.equal(final!.state, "failed");
    assert.equal(final!.failure_reason, "runner_system_failure");
  });

  it("uploads artifacts to the server and downloads a dependency's archive", async () => {
    const producer = await pickUp(
      {},
      {
        artifacts: [
          {
            name: "build",
            paths: ["out/"],
            when: "on_success",
            expire_in: "2 days",
            artifact_type: "archive",
            artifact_format: "zip",
          },
        ],
      },
    );
    const writeOutput: StepBehavior = async (step, context) => {
      if (step.name === "step_script") {
        const dir = join(context.hostBuildsDir, PROJECT, "out");
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "app.txt"), "built by the producer\n");
      }
      return succeed(step, context);
    };
    assert.equal((await session(producer, new ScriptedExecutor(writeOutput))).reported, true);
    const upload = fake.jobs.get(producer.id)!.uploads[0]!;
    assert.equal(upload.artifactType, "archive");
    assert.equal(upload.artifactFormat, "zip");
    assert.equal(upload.expireIn, "2 days");
    assert.equal(upload.filename, "build.zip");

    const consumer = await pickUp(
      {},
      {
        dependencies: [
          {
            id: producer.id,
            name: "producer",
            token: "",
            artifacts_file: { filename: "build.zip", size: upload.bytes.length },
          },
        ],
      },
    );
    let seen = "";
    const readInput: StepBehavior = async (step, context) => {
      if (step.name === "step_script") {
        seen = await readFile(join(context.hostBuildsDir, PROJECT, "out", "app.txt"), "utf8");
      }
      return succeed(step, context);
    };
    assert.equal(
      (await session(consumer, new ScriptedExecutor(readInput), { concurrentId: 1 })).reported,
      true,
    );
    assert.equal(seen, "built by the producer\n");
    assert.equal(fake.finalUpdates(consumer.id)[0]!.state, "success");
  });

  it("keeps caches in <cache dir>/<project path>/<key>/cache.zip and restores them", async () => {
    const cache = [
      {
        key: "deps-1",
        paths: ["vendor/"],
        policy: "pull-push" as const,
        when: "on_success" as const,
      },
    ];
    const first = await pickUp({}, { cache });
    const fill: StepBehavior = async (step, context) => {
      if (step.name === "step_script") {
        const dir = join(context.hostBuildsDir, PROJECT, "vendor");
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "lib.txt"), "cached\n");
      }
      return succeed(step, context);
    };
    await session(first, new ScriptedExecutor(fill), { concurrentId: 2 });
    assert.ok(existsSync(join(root, "cache", PROJECT, "deps-1", "cache.zip")));

    const second = await pickUp({}, { cache });
    let restored = false;
    const check: StepBehavior = (step, context) => {
      if (step.name === "step_script") {
        restored = existsSync(join(context.hostBuildsDir, PROJECT, "vendor", "lib.txt"));
      }
      return succeed(step, context);
    };
    await session(second, new ScriptedExecutor(check), { concurrentId: 3 });
    assert.equal(restored, true);
  });

  it("hides the runner token should a script print it", async () => {
    const job = await pickUp();
    const leaky: StepBehavior = (step) => {
      if (step.name === "step_script") step.output(Buffer.from(`token=${runnerToken}\n`));
      return { exitCode: 0, timedOut: false, canceled: false };
    };
    await session(job, new ScriptedExecutor(leaky));
    const log = fake.jobs.get(job.id)!.trace.toString();
    assert.match(log, /token=\[MASKED\]/);
    assert.ok(!log.includes(runnerToken));
  });
});
