// Without an engine the Docker tests fail with a clear message instead of hanging or skipping.
import { test } from "node:test";
import assert from "node:assert/strict";
import Docker from "dockerode";
import { EngineApi } from "./engine-api.js";
import { ExecutorError } from "@conveyor/runner";
import { DockerExecutor } from "./executor.js";
import { SessionRegistry } from "./registry.js";
import { connectTestEngine, testPayload } from "./testing/engine.js";

test("no engine at DOCKER_HOST: connecting fails at once with what to do", async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = "unix:///nonexistent/conveyor-docker.sock";
  try {
    await assert.rejects(connectTestEngine(), (error: Error) => {
      assert.match(
        error.message,
        /need a Docker engine, and none answers at unix:\/\/\/nonexistent\/conveyor-docker\.sock/,
      );
      assert.match(error.message, /scripts\/ci\/start-docker\.sh/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test("prepare without an engine fails as an executor error and registers nothing", async () => {
  const docker = new Docker({ socketPath: "/nonexistent/conveyor-docker.sock" });
  await assert.rejects(new EngineApi(docker).ping(1_000), /ENOENT/);
  const registry = new SessionRegistry();
  const executor = new DockerExecutor({ docker, registry });
  await assert.rejects(
    executor.prepare({
      payload: testPayload({ image: { name: "alpine" } }),
      hostBuildsDir: "/tmp",
      log: () => {},
      signal: new AbortController().signal,
    }),
    (error: Error) =>
      error instanceof ExecutorError &&
      /^cannot reach the Docker engine: .*ENOENT/.test(error.message),
  );
  assert.equal(registry.size, 0);
});
