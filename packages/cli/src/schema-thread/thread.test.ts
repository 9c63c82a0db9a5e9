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
    // Nothing asked: the process ends on its own (the timeout would kill it otherwise).
    const idle = script(`console.log("idle");`);
    assert.equal(idle.status, 0);
    assert.equal(idle.signal, null);
    assert.equal(idle.stdout.trim(), "idle");
  });
});
