import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { startSchemaThread } from "./thread.js";

const WORKER = new URL("./worker.js", import.meta.url);
const VALID = { build: { script: "make" } };
const INVALID = { build: { script: "make", timeout: ["1h"] } };

describe("the schema thread", () => {
  test("answers whether each configuration conforms, in the order they were sent", async () => {
    const thread = startSchemaThread(WORKER);
    try {
      const answers = await Promise.all([
        thread.check(VALID),
        thread.check(INVALID),
        thread.check(VALID),
      ]);
      assert.deepEqual(answers, [true, false, true]);
    } finally {
      thread.close();
    }
  });

  test("rejects what it cannot be sent, and goes on answering", async () => {
    const thread = startSchemaThread(WORKER);
    try {
      await assert.rejects(thread.check({ build: { script: "make", hook: () => 1 } }));
      assert.equal(await thread.check(VALID), true);
    } finally {
      thread.close();
    }
  });

  test("a thread that cannot start, or was closed, rejects every check", async () => {
    const missing = startSchemaThread(new URL("./no-such-worker.js", import.meta.url));
    await assert.rejects(missing.check(VALID));
    const closed = startSchemaThread(WORKER);
    const waiting = closed.check(VALID);
    closed.close();
    await assert.rejects(waiting);
    await assert.rejects(closed.check(VALID));
  });

  test("keeps the process alive while an answer is on its way, and not otherwise", () => {
    const thread = new URL("./thread.js", import.meta.url).href;
    const script = (body: string) =>
      spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const { startSchemaThread } = await import(${JSON.stringify(thread)});
           const t = startSchemaThread(new URL(${JSON.stringify(WORKER.href)}));
           ${body}`,
        ],
        { encoding: "utf8", timeout: 20_000 },
      );
    const waits = script(
      `t.check(${JSON.stringify(VALID)}).then((ok) => console.log("answer", ok));`,
    );
    assert.equal(waits.stdout.trim(), "answer true");
    // Nothing asked, or only what cannot be sent: the process ends on its own (the timeout
    // would kill it otherwise).
    const idle = script(`console.log("idle");`);
    assert.equal(idle.status, 0);
    assert.equal(idle.signal, null);
    assert.equal(idle.stdout.trim(), "idle");
    const unsent = script(`t.check({ f: () => 1 }).catch(() => console.log("refused"));`);
    assert.equal(unsent.signal, null);
    assert.equal(unsent.stdout.trim(), "refused");
  });
});

test("lint and plan answer the same on one core (no schema thread) as on two", async () => {
  const { CONVEYOR_BIN, repository } = await import("../testing/cli-process.js");
  const dir = repository({
    ".gitlab-ci.yml": "build:\n  script: make\n  timeout: [1h]\nlonely:\n  stage: test\n",
    "valid.yml": "build:\n  script: make\n",
  });
  const run = (cores: string, ...args: string[]) => {
    const result = spawnSync("taskset", ["-c", cores, process.execPath, CONVEYOR_BIN, ...args], {
      cwd: dir,
      encoding: "utf8",
    });
    return [result.status, result.stdout, result.stderr];
  };
  for (const args of [
    ["lint"],
    ["plan", "--json"],
    ["lint", "valid.yml"],
    ["plan", "valid.yml", "--json"],
  ]) {
    const one = run("0", ...args);
    assert.deepEqual(one, run("0,1", ...args), args.join(" "));
  }
  assert.equal(run("0", "lint")[0], 1);
  assert.match(String(run("0", "lint")[2]), /jobs:build:timeout config should be a string/);
});
