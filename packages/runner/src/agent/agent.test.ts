import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { testPayload } from "../testing/fixtures.js";
import { type AgentOptions, type AgentTiming, runAgent } from "./agent.js";
import { type AgentConfig, emptyConfig, type RunnerEntry } from "./config.js";
import { CLIENT_CLOSED, FakeCoordinator } from "./testing/fake-coordinator.js";
import {
  ScriptedExecutor,
  type StepBehavior,
  succeed,
  untilCanceled,
  waitFor,
} from "./testing/scripted-executor.js";

/** Config seconds count as milliseconds here (check_interval 3 → 3 ms). */
const TIMING: Partial<AgentTiming> = {
  secondMs: 1,
  intervalMs: 5,
  forceSendIntervalMs: 10,
  finalUpdate: { initialMs: 2, maxMs: 20 },
  requestBackoff: { initialMs: 1, maxMs: 5 },
  retry: { attempts: 1, initialMs: 1, maxMs: 1 },
};

describe("runAgent", () => {
  let fake: FakeCoordinator;
  let root: string;
  let nextId = 2000;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "conveyor-agent-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  // A fake per test: a request an agent made just before it stopped must not reach the next test.
  beforeEach(async () => {
    fake = await FakeCoordinator.start();
  });

  function job(): JobPayload {
    const id = nextId++;
    return testPayload({
      id,
      token: `glcbt-agent-${id}-secret`,
      variables: [{ key: "GIT_STRATEGY", value: "empty", public: true }],
    });
  }

  function entry(token: string, extra: Partial<RunnerEntry> = {}): RunnerEntry {
    return {
      name: "agent-test",
      url: fake.url,
      token,
      executor: "shell",
      limit: 0,
      requestConcurrency: 1,
      extra: {},
      ...extra,
    };
  }

  function config(runners: RunnerEntry[], extra: Partial<AgentConfig> = {}): AgentConfig {
    return { ...emptyConfig(), checkInterval: 3, runners, ...extra };
  }

  /** Agents a test started: a failed test must not leave one taking the next tests' jobs. */
  const started: { stop: AbortController; kill: AbortController; done: Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const agent of started.splice(0)) {
      agent.stop.abort();
      agent.kill.abort();
      await agent.done.catch(() => undefined);
    }
    await fake.close();
  });

  function start(cfg: AgentConfig, executor: ScriptedExecutor, extra: Partial<AgentOptions> = {}) {
    const stop = new AbortController();
    const kill = new AbortController();
    const logs: string[] = [];
    const done = runAgent({
      config: cfg,
      baseDir: root,
      systemId: "s_0123456789ab",
      executorFor: () => executor,
      signal: stop.signal,
      version: "0.1.0",
      log: (line) => logs.push(line),
      timing: TIMING,
      abortSignal: kill.signal,
      ...extra,
    });
    started.push({ stop, kill, done });
    return { stop, logs, done };
  }

  /** Steps of step_script wait until `count` jobs run at once (then never again). */
  function gateAt(executor: () => ScriptedExecutor, count: number): StepBehavior {
    let open = false;
    return async (step, context) => {
      if (step.name === "step_script") {
        await waitFor(() => open || executor().running >= count);
        open = true;
      }
      return succeed(step, context);
    };
  }

  it("runs jobs in parallel up to the runner's limit", async () => {
    const token = fake.addRunner();
    const jobs = [job(), job(), job(), job(), job()];
    for (const j of jobs) fake.enqueue(j);
    const executor: ScriptedExecutor = new ScriptedExecutor(gateAt(() => executor, 2));
    const agent = start(config([entry(token, { limit: 2 })], { concurrent: 5 }), executor);
    await waitFor(() => jobs.every((j) => fake.finalUpdates(j.id).length === 1));
    agent.stop.abort();
    const summary = await agent.done;
    assert.deepEqual(summary, { jobs: 5, reported: 5 });
    assert.equal(executor.maxRunning, 2);
    for (const j of jobs) {
      assert.ok(agent.logs.includes(`job ${j.id} finished: success`), `finish line of ${j.id}`);
      assert.ok(agent.logs.some((l) => l.startsWith(`job ${j.id} started: test (group/project)`)));
    }
  });

  it("keeps all runners together within concurrent", async () => {
    const first = fake.addRunner();
    const second = fake.addRunner();
    const jobs = [job(), job(), job(), job(), job(), job()];
    for (const j of jobs) fake.enqueue(j);
    const executor: ScriptedExecutor = new ScriptedExecutor(gateAt(() => executor, 3));
    const agent = start(
      config([entry(first, { requestConcurrency: 2 }), entry(second, { name: "other" })], {
        concurrent: 3,
      }),
      executor,
    );
    await waitFor(() => jobs.every((j) => fake.finalUpdates(j.id).length === 1));
    agent.stop.abort();
    await agent.done;
    assert.equal(executor.maxRunning, 3);
  });

  it("on stop asks for no more jobs and lets the running one finish", async () => {
    fake.longPollMs = 30_000;
    const token = fake.addRunner();
    const first = job();
    fake.enqueue(first);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const executor = new ScriptedExecutor(async (step, context) => {
      if (step.name === "step_script") await gate;
      return succeed(step, context);
    });
    const agent = start(config([entry(token)], { concurrent: 2 }), executor);
    await waitFor(() => executor.running === 1);
    // The agent asks again at once; the server holds that request.
    await waitFor(() => fake.jobRequests.at(-1)?.body.last_update === fake.queueVersion);
    agent.stop.abort();
    // The agent hangs up on its held request: the server must not hand it a job now.
    await waitFor(() => fake.jobRequests.at(-1)!.answered === CLIENT_CLOSED);
    const second = job();
    fake.enqueue(second);
    release();
    const summary = await agent.done;
    assert.deepEqual(summary, { jobs: 1, reported: 1 });
    assert.equal(fake.finalUpdates(first.id)[0]!.state, "success");
    assert.equal(fake.jobs.get(second.id)!.status, "pending");
    assert.deepEqual(executor.prepared, [first.id]);
  });

  it("aborts jobs still running after shutdown_timeout and still reports them", async () => {
    const token = fake.addRunner();
    const stuck = job();
    fake.enqueue(stuck);
    const executor = new ScriptedExecutor((step, context) =>
      step.name === "step_script" ? untilCanceled(step) : succeed(step, context),
    );
    const agent = start(config([entry(token)], { shutdownTimeout: 1 }), executor);
    await waitFor(() => executor.steps.includes(`${stuck.id}:step_script`));
    agent.stop.abort();
    assert.deepEqual(await agent.done, { jobs: 1, reported: 1 });
    const [final] = fake.finalUpdates(stuck.id);
    assert.equal(final!.state, "failed");
    assert.equal(final!.failure_reason, "runner_system_failure");
    assert.ok(agent.logs.some((l) => l.startsWith("shutdown timeout: aborting 1 running job")));
  });

  it("on a second signal aborts at once", async () => {
    const token = fake.addRunner();
    const stuck = job();
    fake.enqueue(stuck);
    const executor = new ScriptedExecutor((step, context) =>
      step.name === "step_script" ? untilCanceled(step) : succeed(step, context),
    );
    const abort = new AbortController();
    // A shutdown timeout of an hour: only the second signal can end this job.
    const agent = start(config([entry(token)], { shutdownTimeout: 3_600_000 }), executor, {
      abortSignal: abort.signal,
    });
    await waitFor(() => executor.steps.includes(`${stuck.id}:step_script`));
    agent.stop.abort();
    await waitFor(() => agent.logs.some((l) => l.startsWith("stopping: waiting for 1")));
    abort.abort();
    assert.deepEqual(await agent.done, { jobs: 1, reported: 1 });
    assert.equal(fake.finalUpdates(stuck.id)[0]!.failure_reason, "runner_system_failure");
  });

  it("backs off after failed requests and 409s, then takes the job", async () => {
    const token = fake.addRunner();
    const next = job();
    fake.enqueue(next);
    fake.jobRequestAnswers.push(500, 409, 502);
    const executor = new ScriptedExecutor();
    const agent = start(config([entry(token)]), executor);
    await waitFor(() => fake.finalUpdates(next.id).length === 1);
    agent.stop.abort();
    await agent.done;
    const failures = agent.logs.filter((l) => l.includes("asking for a job failed"));
    assert.equal(failures.length, 2);
    assert.match(failures[0]!, /POST jobs\/request: unexpected status 500/);
    assert.ok(agent.logs.includes('runner "agent-test": the server answers again'));
  });

  it("says when the server refuses the runner token, without showing it", async () => {
    const token = "glrt-removed-runner-token-1";
    const agent = start(config([entry(token)]), new ScriptedExecutor());
    await waitFor(() => agent.logs.some((l) => l.includes("(403)")));
    agent.stop.abort();
    await agent.done;
    assert.ok(agent.logs.every((l) => !l.includes(token)));
  });
});
