import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import {
  BRIEF_CACHE_VARIANT,
  optimizingCompilerDelay,
  startBriefCommand,
} from "./brief-commands.js";

test("the flag that holds TurboFan off is the one each V8 counts with", () => {
  // Node 20 ships V8 11.3; Node 22, 12.4; Node 24, 13.6.
  assert.equal(optimizingCompilerDelay("11.3.244.8-node.38"), "--interrupt-budget=540672");
  assert.equal(
    optimizingCompilerDelay("12.4.254.21-node.57"),
    "--invocation-count-for-turbofan=24000",
  );
  assert.equal(
    optimizingCompilerDelay("13.6.233.17-node.63"),
    "--invocation-count-for-turbofan=24000",
  );
});

test("this Node's V8 knows the flag chosen for it", () => {
  const flag = optimizingCompilerDelay(process.versions.v8);
  const child = spawnSync(process.execPath, [flag, "-e", ""], { encoding: "utf8" });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stderr, "");
});

test("lint and plan set the flag and tag their caches; other commands change nothing", () => {
  for (const command of ["lint", "plan"]) {
    const set: string[] = [];
    const variant = startBriefCommand([command, "--json"], (flags) => set.push(flags), "12.4");
    assert.equal(variant, BRIEF_CACHE_VARIANT);
    assert.deepEqual(set, ["--invocation-count-for-turbofan=24000"]);
  }
  for (const argv of [["run"], ["server"], ["runner"], ["deploy"], ["--version"], []]) {
    const set: string[] = [];
    assert.equal(
      startBriefCommand(argv, (flags) => set.push(flags), "12.4"),
      undefined,
    );
    assert.deepEqual(set, []);
  }
});
