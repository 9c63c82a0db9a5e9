/**
 * The shell executor against the runner's executor contract, once per shell it can run:
 * bash, the system sh (dash here) and busybox sh (the shell of Alpine-based images).
 */
import assert from "node:assert/strict";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { executorContract, testPayload } from "@conveyor/runner/testing";
import { ShellExecutor } from "./shell-executor.js";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

executorContract("shell (bash)", () => new ShellExecutor({ shell: "bash", killGraceMs: 1000 }));
executorContract("shell (sh)", () => new ShellExecutor({ shell: "sh", killGraceMs: 1000 }));
const busybox = onPath("busybox");
if (busybox) {
  executorContract(
    "shell (busybox sh)",
    () =>
      new ShellExecutor({
        shell: { shell: "sh", command: busybox, args: ["sh"] },
        killGraceMs: 1000,
      }),
  );
}

test("a plain shell on this host lets the runner print prepare_script's host line; a login shell does not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-shell-host-"));
  try {
    const prepare = (executor: ShellExecutor) =>
      executor.prepare({
        payload: testPayload(),
        hostBuildsDir: dir,
        signal: new AbortController().signal,
        log: () => undefined,
      });
    const plain = await prepare(new ShellExecutor({ shell: "sh" }));
    assert.equal(plain.hostName, hostname());
    const login = await prepare(new ShellExecutor({ shell: "sh", loginShell: true }));
    assert.equal(login.hostName, undefined);
    await Promise.all([plain.cleanup(), login.cleanup()]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
