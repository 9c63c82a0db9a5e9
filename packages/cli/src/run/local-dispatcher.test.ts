/**
 * The local dispatcher against the real state machine, with a fake at its one port (`startJob`):
 * how many jobs run at once and in which slots, manual jobs played by name, cancel and abort,
 * and a job whose start throws.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PipelineRun } from "@conveyor/engine";
import { planYaml } from "@conveyor/engine/testing";
import type { JobResult } from "@conveyor/protocol";
import { type JobLaunch, LocalDispatcher } from "./local-dispatcher.js";

const SUCCESS: JobResult = { state: "success" };

async function pipeline(yaml: string): Promise<PipelineRun> {
  const { plan } = await planYaml(yaml);
  let id = 1;
  return new PipelineRun(plan, { ids: () => id++ });
}

/** Jobs that finish when the test says so. */
class HeldJobs {
  readonly launches: JobLaunch[] = [];
  readonly #finish = new Map<string, (result: JobResult) => void>();
  maxRunning = 0;
  #running = 0;
  readonly #waiters: (() => void)[] = [];

  start = (launch: JobLaunch): Promise<JobResult> => {
    this.launches.push(launch);
    this.#running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.#running);
    for (const wake of this.#waiters.splice(0)) wake();
    return new Promise<JobResult>((resolve) => {
      this.#finish.set(launch.attempt.name, (result) => {
        this.#running -= 1;
        resolve(result);
      });
    });
  };

  /** Waits until `count` jobs have been started in all. */
  async started(count: number): Promise<void> {
    while (this.launches.length < count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  finish(name: string, result: JobResult = SUCCESS): void {
    const done = this.#finish.get(name);
    assert.ok(done, `${name} is running`);
    this.#finish.delete(name);
    done(result);
  }

  get running(): string[] {
    return [...this.#finish.keys()];
  }
}

/** A dispatcher over `yaml`'s pipeline whose jobs finish when the test says so, started. */
async function heldRun(yaml: string, concurrency: number, play?: string[]) {
  const run = await pipeline(yaml);
  const jobs = new HeldJobs();
  const dispatcher = new LocalDispatcher({
    run,
    concurrency,
    clock: Date.now,
    ...(play ? { play: new Set(play) } : {}),
    startJob: jobs.start,
  });
  return { run, jobs, dispatcher, done: dispatcher.start() };
}

const FOUR_JOBS = `
a: { script: x }
b: { script: x }
c: { script: x }
d: { script: x }
`;

describe("LocalDispatcher", () => {
  test("runs at most N jobs at once, each in a slot no running job holds", async () => {
    const { run, jobs, dispatcher, done } = await heldRun(FOUR_JOBS, 2);
    await jobs.started(2);
    assert.deepEqual(jobs.running, ["a", "b"]);
    assert.deepEqual(
      jobs.launches.map((l) => l.slot),
      [0, 1],
    );
    assert.equal(dispatcher.queuedCount, 2);
    jobs.finish("b");
    await jobs.started(3);
    assert.equal(jobs.launches[2]?.attempt.name, "c");
    assert.equal(jobs.launches[2]?.slot, 1, "c takes the slot b freed");
    jobs.finish("a");
    jobs.finish("c");
    await jobs.started(4);
    jobs.finish("d");
    await done;
    assert.equal(jobs.maxRunning, 2);
    assert.equal(run.status, "success");
  });

  test("plays the manual jobs it is told to, by name or by the key of all their instances", async () => {
    const { run, jobs, done } = await heldRun(
      `
deploy: { script: x, when: manual, parallel: 2 }
docs: { script: x, when: manual }
`,
      4,
      ["deploy"],
    );
    await jobs.started(2);
    assert.deepEqual(jobs.running.sort(), ["deploy 1/2", "deploy 2/2"]);
    jobs.finish("deploy 1/2");
    jobs.finish("deploy 2/2");
    await done;
    assert.equal(run.job("docs")?.status, "manual");
    assert.equal(run.status, "success");
  });

  test("cancel stops running jobs gracefully and drops queued ones; abort stops them hard", async () => {
    const { run, jobs, dispatcher, done } = await heldRun(FOUR_JOBS, 2);
    await jobs.started(2);
    dispatcher.cancel();
    assert.ok(jobs.launches.every((l) => l.signal.aborted));
    assert.ok(jobs.launches.every((l) => !l.abortSignal.aborted));
    assert.equal(dispatcher.queuedCount, 0);
    dispatcher.abort();
    assert.ok(jobs.launches.every((l) => l.abortSignal.aborted));
    jobs.finish("a", { state: "failed", failure_reason: "unknown_failure", canceled: true });
    jobs.finish("b", { state: "failed", failure_reason: "unknown_failure", canceled: true });
    await done;
    assert.equal(jobs.launches.length, 2, "no queued job started after the cancel");
    assert.equal(run.status, "canceled");
    assert.deepEqual(
      run.jobs.map((job) => job.status),
      ["canceled", "canceled", "canceled", "canceled"],
    );
  });

  test("a job whose start throws fails as a runner system failure, and the pipeline goes on", async () => {
    const run = await pipeline(`
broken: { script: x }
after: { script: x, stage: deploy, when: always }
stages: [test, deploy]
`);
    const started: string[] = [];
    const dispatcher = new LocalDispatcher({
      run,
      concurrency: 1,
      clock: Date.now,
      startJob: (launch) => {
        started.push(launch.attempt.name);
        if (launch.attempt.name === "broken") throw new Error("no shell");
        return Promise.resolve(SUCCESS);
      },
    });
    await dispatcher.start();
    assert.deepEqual(started, ["broken", "after"]);
    assert.equal(run.job("broken")?.status, "failed");
    assert.equal(run.job("broken")?.failureReason, "runner_system_failure");
    assert.equal(run.status, "failed");
  });

  test("refuses a concurrency below one", async () => {
    const run = await pipeline(FOUR_JOBS);
    assert.throws(
      () =>
        new LocalDispatcher({
          run,
          concurrency: 0,
          clock: Date.now,
          startJob: () => Promise.resolve(SUCCESS),
        }),
      /concurrency must be a positive integer/,
    );
  });
});
