import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CONVEYOR_BIN, CONVEYOR_LAUNCHER, repository, runAsync } from "../testing/cli-process.js";
import { makeTestCa, type TestCa } from "../testing/test-ca.js";

/** The environment of a user whose `node` is the one running these tests. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    ...extra,
  };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

/** Runs `command args`; asynchronously, as this process serves the remote include. */
function launch(command: string, cwd: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return runAsync(command, args, { cwd, env });
}

describe("bin/conveyor, the command npm installs", () => {
  let ca: TestCa;
  const server = createServer();
  let includeUrl = "";

  before(async () => {
    ca = makeTestCa();
    server.setSecureContext({ key: ca.key, cert: ca.cert });
    server.on("request", (_request, response) => {
      response.end("remote-build:\n  script: make\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    includeUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ci.yml`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("runs from a chain of symbolic links, as npm's bin folders reach it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "conveyor-bin-"));
    mkdirSync(join(dir, "bin"));
    // bin/conveyor → ../lib/conveyor (relative) → the real file (absolute).
    mkdirSync(join(dir, "lib"));
    symlinkSync(CONVEYOR_LAUNCHER, join(dir, "lib", "conveyor"));
    symlinkSync(join("..", "lib", "conveyor"), join(dir, "bin", "conveyor"));
    const viaLinks = await launch(join(dir, "bin", "conveyor"), dir, userEnv(), "--version");
    assert.equal(viaLinks.code, 0, viaLinks.stderr);
    assert.match(viaLinks.stdout, /^conveyor \d+\.\d+\.\d+/);
    // Started by name from its own folder, as `sh conveyor` would.
    const byName = spawnSync("sh", ["conveyor", "--version"], {
      cwd: dirname(CONVEYOR_LAUNCHER),
      env: userEnv(),
      encoding: "utf8",
    });
    assert.equal(byName.stdout, viaLinks.stdout);
  });

  test("lint and plan trust NODE_EXTRA_CA_CERTS for a remote include over https", async () => {
    const dir = repository({ ".gitlab-ci.yml": `include:\n  - remote: '${includeUrl}'\n` });
    const trusting = userEnv({ NODE_EXTRA_CA_CERTS: ca.caFile });
    const plan = await launch(CONVEYOR_LAUNCHER, dir, trusting, "plan", "--json");
    assert.equal(plan.code, 0, plan.stderr);
    const planned = JSON.parse(plan.stdout) as { jobs: Array<{ name: string }> };
    assert.deepEqual(
      planned.jobs.map((job) => job.name),
      ["remote-build"],
    );
    const lint = await launch(CONVEYOR_LAUNCHER, dir, trusting, "lint");
    assert.equal(lint.code, 0, lint.stderr);
    // The same through bin/conveyor.js, where Node reads the certificates itself.
    assert.equal(
      (await launch(process.execPath, dir, trusting, CONVEYOR_BIN, "plan", "--json")).stdout,
      plan.stdout,
    );
    // Without the CA, the server is not trusted.
    const untrusting = await launch(CONVEYOR_LAUNCHER, dir, userEnv(), "lint");
    assert.equal(untrusting.code, 1);
    assert.match(untrusting.stderr, /certificate/);
  });

  test("lint and plan read NODE_EXTRA_CA_CERTS only when they connect", async () => {
    const missing = userEnv({ NODE_EXTRA_CA_CERTS: "/no/such/ca.pem" });
    const local = repository({ ".gitlab-ci.yml": "build:\n  script: make\n" });
    const plan = await launch(CONVEYOR_LAUNCHER, local, missing, "plan");
    assert.equal(plan.code, 0, plan.stderr);
    assert.doesNotMatch(plan.stderr, /Ignoring extra certs/);
    // Node before 22 reads them as it starts, and says so when it cannot.
    if (Number(process.versions.node.split(".")[0]) < 22) {
      const eager = await launch(process.execPath, local, missing, CONVEYOR_BIN, "plan");
      assert.match(eager.stderr, /Ignoring extra certs from `\/no\/such\/ca\.pem`/);
    }
    // Connecting, the command reads them, and says so as Node would.
    const remote = repository({ ".gitlab-ci.yml": `include:\n  - remote: '${includeUrl}'\n` });
    const lint = await launch(CONVEYOR_LAUNCHER, remote, missing, "lint");
    assert.match(lint.stderr, /Ignoring extra certs from `\/no\/such\/ca\.pem`, load failed/);
    assert.equal(lint.code, 1);
  });
});
