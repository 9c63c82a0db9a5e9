/**
 * The step wrapper and the step kill (shell.ts) with real shells on this host, each started as
 * the exec API starts a command in a container: the leader of a new session and process group.
 * Runs under every POSIX shell found here (sh, busybox sh, bash).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { shellQuote } from "@conveyor/runner";
import { KILL_STEP_SCRIPT, stepStdin } from "./shell.js";

const SHELLS = [
  ["sh", "/bin/sh"],
  ["busybox sh", "/bin/busybox"],
  ["bash", "/bin/bash"],
].filter(([, path]) => existsSync(path!)) as [string, string][];

const argsOf = (path: string) => (path.endsWith("busybox") ? ["sh"] : []);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => -1,
  );

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "conveyor-k8s-shell-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const [name, path] of SHELLS) {
  describe(`step scripts under ${name}`, () => {
    /** Starts a step as its own session leader; resolves with its exit code and output. */
    function startStep(script: string, pidFile: string) {
      const child = spawn(path, argsOf(path), { detached: true, stdio: ["pipe", "pipe", "pipe"] });
      const output: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
      child.stdin.end(stepStdin(script, pidFile));
      const done = new Promise<{ code: number | null; output: string }>((resolve) => {
        child.once("close", (code) => resolve({ code, output: Buffer.concat(output).toString() }));
      });
      return { child, done };
    }

    it("runs the script with its exit code, records its pid, and ends what it left running", async () => {
      const ticks = join(dir, `${name}-left.ticks`);
      const pidFile = join(dir, `${name}-left.pid`);
      const { child, done } = startStep(
        `echo "it's running"; (while :; do echo tick >> ${shellQuote(ticks)}; sleep 0.05; done) & sleep 0.3; exit 7`,
        pidFile,
      );
      const { code, output } = await done;
      assert.equal(code, 7);
      assert.match(output, /^it's running$/m);
      assert.equal((await readFile(pidFile, "utf8")).trim(), String(child.pid));
      const size = await sizeOf(ticks);
      assert.ok(size > 0, "the background loop ran");
      await sleep(300);
      assert.equal(await sizeOf(ticks), size, "the background loop was ended with the step");
    });

    it("kills the step with its children from outside through its pid file", async () => {
      const ticks = join(dir, `${name}-kill.ticks`);
      const pidFile = join(dir, `${name}-kill.pid`);
      const { done } = startStep(
        `(while :; do echo tick >> ${shellQuote(ticks)}; sleep 0.05; done) & sleep 1000`,
        pidFile,
      );
      const until = Date.now() + 10_000;
      while ((await sizeOf(ticks)) <= 0) {
        assert.ok(Date.now() < until, "the step started");
        await sleep(20);
      }
      const kill = spawnSync(path, [...argsOf(path), "-c", KILL_STEP_SCRIPT, "kill", pidFile]);
      assert.equal(kill.status, 0, kill.stderr.toString());
      const { code } = await done;
      assert.equal(code, null, "the step's shell was killed");
      await sleep(100);
      const size = await sizeOf(ticks);
      await sleep(300);
      assert.equal(await sizeOf(ticks), size, "the background loop was killed");
    });
  });
}
