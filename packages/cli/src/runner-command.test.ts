/**
 * `conveyor runner` against a fake of the server side of the runner API (runner's
 * testing/fake-coordinator): registration with a registration token or a glrt- token, verify,
 * unregister, and `run` taking a job and running it with the real shell executor. End-to-end
 * runs against Conveyor's own server live with the server's tests.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { readAgentConfig } from "@conveyor/runner";
import { FakeCoordinator, testPayload, waitFor } from "@conveyor/runner/testing";
import { runnerCommand } from "./commands/runner.js";
import { type Io, UsageError } from "./io.js";

interface Captured {
  io: Io;
  stdout: () => string;
  stderr: () => string;
}

function capture(cwd: string, env: Record<string, string>): Captured {
  let out = "";
  let err = "";
  return {
    io: {
      cwd,
      env,
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
    },
    stdout: () => out,
    stderr: () => err,
  };
}

describe("conveyor runner", () => {
  let fake: FakeCoordinator;
  let dir: string;
  let configFile: string;
  let env: Record<string, string>;

  before(async () => {
    fake = await FakeCoordinator.start();
    dir = await mkdtemp(join(tmpdir(), "conveyor-runner-cli-"));
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  beforeEach(() => {
    configFile = join(dir, `config-${++n}`, "runner.toml");
    env = { CONVEYOR_RUNNER_CONFIG: configFile, HOME: dir };
  });

  it("registers with a registration token, tags and a limit, and keeps the token out of its output", async () => {
    const c = capture(dir, env);
    const code = await runnerCommand(
      [
        "register",
        "--url",
        fake.url,
        "--token",
        fake.registrationToken,
        "--tag",
        "linux",
        "--tag",
        "node",
        "--name",
        "box-1",
        "--limit",
        "2",
      ],
      c.io,
    );
    assert.equal(code, 0, c.stderr());
    const config = await readAgentConfig(configFile);
    assert.equal(config.runners.length, 1);
    const entry = config.runners[0]!;
    const onServer = fake.runners.get(entry.token);
    assert.deepEqual(onServer?.tags, ["linux", "node"]);
    assert.equal(onServer?.runUntagged, false);
    assert.equal(onServer?.description, "box-1");
    assert.equal(entry.id, onServer?.id);
    assert.equal(entry.executor, "shell");
    assert.equal(entry.limit, 2);
    assert.equal(config.concurrent, 2);
    assert.equal((await stat(configFile)).mode & 0o777, 0o600);
    assert.match(c.stderr(), /Runner "box-1" \(id \d+\) registered, shell executor/);
    assert.ok(!c.stderr().includes(entry.token));
    assert.ok(!c.stderr().includes(fake.registrationToken));
  });

  it("takes untagged jobs when registered without tags", async () => {
    const c = capture(dir, env);
    await runnerCommand(
      ["register", "--url", fake.url, "--token", fake.registrationToken, "--name", "any"],
      c.io,
    );
    const [entry] = (await readAgentConfig(configFile)).runners;
    assert.equal(fake.runners.get(entry!.token)?.runUntagged, true);
  });

  it("verifies a glrt- token and stores it as is, refusing server-side settings", async () => {
    const token = fake.addRunner("glrt-created-in-the-ui-0001");
    await assert.rejects(
      runnerCommand(
        ["register", "--url", fake.url, "--token", token, "--tag", "x"],
        capture(dir, env).io,
      ),
      UsageError,
    );
    const c = capture(dir, env);
    const code = await runnerCommand(
      [
        "register",
        "--url",
        fake.url,
        "--token",
        token,
        "--executor",
        "docker",
        "--docker-image",
        "alpine:3.20",
      ],
      c.io,
    );
    assert.equal(code, 0, c.stderr());
    const [entry] = (await readAgentConfig(configFile)).runners;
    assert.equal(entry!.token, token);
    assert.equal(entry!.id, fake.runners.get(token)!.id);
    assert.equal(entry!.docker?.image, "alpine:3.20");
    assert.ok(!c.stderr().includes(token));
  });

  it("fails with the endpoint and status when the server refuses the token", async () => {
    const c = capture(dir, env);
    const code = await runnerCommand(
      ["register", "--url", fake.url, "--token", "not-a-registration-token"],
      c.io,
    );
    assert.equal(code, 1);
    assert.match(
      c.stderr(),
      /conveyor runner register: POST runners: the registration token was refused \(403\)/,
    );
    assert.ok(!c.stderr().includes("not-a-registration-token"));
  });

  it("verifies, and with --delete forgets runners the server no longer knows", async () => {
    const c = capture(dir, env);
    await runnerCommand(
      ["register", "--url", fake.url, "--token", fake.registrationToken, "--name", "a"],
      c.io,
    );
    await runnerCommand(
      ["register", "--url", fake.url, "--token", fake.registrationToken, "--name", "b"],
      c.io,
    );
    assert.equal(await runnerCommand(["verify"], c.io), 0);
    const [a] = (await readAgentConfig(configFile)).runners;
    fake.runners.delete(a!.token);
    const check = capture(dir, env);
    assert.equal(await runnerCommand(["verify"], check.io), 1);
    assert.match(
      check.stderr(),
      /runner "a" at .*: POST runners\/verify: the runner token is not valid \(403\)/,
    );
    assert.match(check.stderr(), /runner "b" at .*: valid/);
    assert.equal(await runnerCommand(["verify", "--delete"], capture(dir, env).io), 0);
    assert.deepEqual(
      (await readAgentConfig(configFile)).runners.map((r) => r.name),
      ["b"],
    );
  });

  it("unregisters a runner from the server and the config file", async () => {
    const c = capture(dir, env);
    await runnerCommand(
      ["register", "--url", fake.url, "--token", fake.registrationToken, "--name", "a"],
      c.io,
    );
    await runnerCommand(
      ["register", "--url", fake.url, "--token", fake.registrationToken, "--name", "b"],
      c.io,
    );
    await assert.rejects(runnerCommand(["unregister"], c.io), /--name NAME or --all/);
    const [a] = (await readAgentConfig(configFile)).runners;
    assert.equal(await runnerCommand(["unregister", "--name", "a"], c.io), 0);
    assert.equal(fake.runners.has(a!.token), false);
    assert.deepEqual(
      (await readAgentConfig(configFile)).runners.map((r) => r.name),
      ["b"],
    );
  });

  it("run takes a job, runs it with the shell executor, reports it and stops on SIGTERM", async () => {
    const token = fake.addRunner("glrt-run-test-token-0001");
    await runnerCommand(
      ["register", "--url", fake.url, "--token", token, "--name", "runner-under-test"],
      capture(dir, env).io,
    );
    const job = testPayload({
      id: 9001,
      token: "glcbt-cli-run-job-token",
      script: ['echo "computed by a real shell: $((40 + 2))"'],
      variables: [{ key: "GIT_STRATEGY", value: "empty", public: true }],
    });
    fake.enqueue(job);
    const c = capture(dir, env);
    const running = runnerCommand(["run"], c.io);
    await waitFor(() => fake.finalUpdates(job.id).length === 1, 60_000);
    process.emit("SIGTERM");
    assert.equal(await running, 0);
    assert.equal(fake.finalUpdates(job.id)[0]!.state, "success");
    assert.match(fake.jobs.get(job.id)!.trace.toString(), /computed by a real shell: 42/);
    const log = c.stderr();
    assert.match(log, /job 9001 started: test \(group\/project\) on runner "runner-under-test"/);
    assert.match(log, /job 9001 finished: success/);
    assert.match(log, /Stopping: no more jobs are taken/);
    assert.ok(!log.includes(token) && !log.includes(job.token));
    // Builds live beside the config file, per runner.
    const config = await readFile(configFile, "utf8");
    assert.match(config, /name = "runner-under-test"/);
  });
});
