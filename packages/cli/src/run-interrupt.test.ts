/**
 * Interrupting `conveyor run` leaves nothing behind. The real command runs in a child process in
 * a process group of its own, and the tests signal that whole group as a terminal's Ctrl-C does.
 * The first interrupt cancels the pipeline as GitLab's Cancel button does: running scripts stop,
 * `after_script` still runs with `CI_JOB_STATUS=canceled`
 * (https://docs.gitlab.com/ci/variables/predefined_variables/), jobs not started yet are canceled;
 * a second interrupt stops everything at once. Either way the command exits 1 and no job process,
 * container or network outlives it. Job processes are found by a marker unique to each test, set
 * as their argv[0] (`exec -a`), so a leftover `sleep` is found and never confused with another.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  connectTestEngine,
  labelledResources,
  removeLabelledResources,
  ensureTestImages,
  TEST_BUSYBOX_IMAGE,
  TEST_HTTPD_IMAGE,
} from "@conveyor/executor-docker/testing";
import {
  LiveRun,
  scriptLines as lines,
  stopLiveRuns,
  until as waitUntil,
} from "./testing/live-run.js";

type Engine = Awaited<ReturnType<typeof connectTestEngine>>;

/** Bounds on waits, so that a regression fails the test instead of hanging it. */
const START_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 20_000;

const markers: string[] = [];
let nextMarker = 1;

after(() => {
  stopLiveRuns();
  for (const marker of markers) {
    for (const pid of markerPids(marker)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
});

/** A marker no other process on the machine carries. */
function newMarker(): string {
  const marker = `conveyor-interrupt-${process.pid}-${nextMarker++}`;
  markers.push(marker);
  return marker;
}

/** Processes whose command line carries `marker`. */
function markerPids(marker: string): number[] {
  const found = spawnSync("pgrep", ["-f", marker], { encoding: "utf8" });
  if (found.status === 1) return [];
  if (found.status !== 0) throw new Error(`pgrep failed: ${found.stderr}`);
  return found.stdout.split("\n").filter(Boolean).map(Number);
}

/** A shell line that runs `sleep SECONDS` under the name `marker`. */
function markedSleep(marker: string, seconds: number): string {
  return `bash -c 'exec -a ${marker} sleep ${seconds}'`;
}

const until = (what: string, check: () => boolean | Promise<boolean>) =>
  waitUntil(what, check, START_TIMEOUT_MS);

/** `conveyor run ARGS` on `ci`, with this file's bounds on waits. */
function liveRun(ci: string[], ...args: string[]): LiveRun {
  return new LiveRun(ci, args, { waitTimeoutMs: START_TIMEOUT_MS, exitTimeoutMs: EXIT_TIMEOUT_MS });
}

/** A later stage's job that must never start once the pipeline is canceled. */
const LATER_JOB = ["later:", "  stage: test", ...lines("script", ["echo later-ran"])];

// The two executors' tests run side by side: most of their time is waiting.
describe("conveyor run interrupted", { concurrency: true }, () => {
  describe("shell executor", { concurrency: true }, () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      test(`${signal} cancels: the script stops, after_script runs, no process is left`, async () => {
        const marker = newMarker();
        const run = liveRun([
          "stages: [build, test]",
          "long:",
          "  stage: build",
          ...lines("script", [
            "echo script-started",
            `${markedSleep(marker, 300)} &`,
            markedSleep(marker, 301),
            "echo script-went-on",
          ]),
          ...lines("after_script", ['echo "after-script-ran status=$CI_JOB_STATUS"']),
          ...LATER_JOB,
        ]);
        await run.jobPrinted("long", "script-started");
        await until("both marked sleeps", () => markerPids(marker).length === 2);

        run.interrupt(signal);
        assert.equal(await run.exitCode(), 1, run.output);
        assert.match(run.output, /Canceling the pipeline/);
        assert.match(run.output, /^long +\| after-script-ran status=canceled$/m);
        assert.doesNotMatch(run.output, /^long +\| script-went-on$/m);
        assert.doesNotMatch(run.output, /^later +\| later-ran$/m);
        assert.equal(run.report().status, "canceled");
        assert.deepEqual(run.statuses(), { long: "canceled", later: "canceled" });
        assert.deepEqual(markerPids(marker), []);
      });
    }

    test("a second interrupt stops after_script at once, and no process is left", async () => {
      const marker = newMarker();
      const run = liveRun([
        "long:",
        ...lines("script", ["echo script-started", markedSleep(marker, 300)]),
        ...lines("after_script", [
          "echo after-script-started",
          markedSleep(marker, 302),
          "echo after-script-finished",
        ]),
      ]);
      await run.jobPrinted("long", "script-started");
      await until("the script's marked sleep", () => markerPids(marker).length === 1);
      run.interrupt();
      await run.jobPrinted("long", "after-script-started");
      await until("after_script's marked sleep", async () => {
        const pids = markerPids(marker);
        return pids.length === 1 && commandLine(pids[0]!).trim().endsWith(" 302");
      });

      run.interrupt();
      // after_script would sleep for five minutes: the exit bound proves it was stopped.
      assert.equal(await run.exitCode(), 1, run.output);
      assert.match(run.output, /Stopping every job now/);
      assert.doesNotMatch(run.output, /^long +\| after-script-finished$/m);
      assert.deepEqual(run.statuses(), { long: "canceled" });
      assert.deepEqual(markerPids(marker), []);
    });

    test("a background process that ignores SIGTERM and holds no output is killed too", async () => {
      const marker = newMarker();
      const stubborn = `bash -c 'trap "" TERM; exec -a ${marker} sleep 303' >/dev/null 2>&1 &`;
      const run = liveRun([
        "long:",
        ...lines("script", ["echo script-started", stubborn, markedSleep(marker, 300)]),
      ]);
      await run.jobPrinted("long", "script-started");
      await until("both marked sleeps", () => markerPids(marker).length === 2);

      run.interrupt();
      assert.equal(await run.exitCode(), 1, run.output);
      assert.deepEqual(run.statuses(), { long: "canceled" });
      assert.deepEqual(markerPids(marker), []);
    });
  });

  describe("docker executor", { concurrency: true }, () => {
    let engine: Engine;
    const pids: number[] = [];

    before(async () => {
      engine = await connectTestEngine();
      await ensureTestImages(engine);
    });

    after(async () => {
      for (const pid of pids) await removeLabelledResources(engine, { ownerPid: pid });
    });

    /** The job container and its service container are up, with their network. */
    async function jobIsUp(run: LiveRun): Promise<void> {
      const owned = await labelledResources(engine, { ownerPid: run.pid });
      assert.equal(owned.containers.length, 2, owned.containers.join(", "));
      assert.equal(owned.networks.length, 1, owned.networks.join(", "));
    }

    const containerJob = (script: string[], afterScript: string[]) => [
      "stages: [build, test]",
      "long:",
      "  stage: build",
      `  image: ${TEST_BUSYBOX_IMAGE}`,
      "  services:",
      `    - name: ${TEST_HTTPD_IMAGE}`,
      "      alias: web",
      ...lines("script", script),
      ...lines("after_script", afterScript),
      "later:",
      "  stage: test",
      `  image: ${TEST_BUSYBOX_IMAGE}`,
      ...lines("script", ["echo later-ran"]),
    ];

    test("SIGINT cancels a container job with a service: after_script runs, nothing is left", async () => {
      const run = liveRun(
        containerJob(
          ["wget -q -O- http://web/ >/dev/null", "echo script-started", "sleep 300"],
          ['echo "after-script-ran status=$CI_JOB_STATUS"'],
        ),
        "--executor",
        "docker",
      );
      pids.push(run.pid);
      await run.jobPrinted("long", "script-started");
      await jobIsUp(run);

      run.interrupt();
      assert.equal(await run.exitCode(), 1, run.output);
      assert.match(run.output, /^long +\| after-script-ran status=canceled$/m);
      assert.doesNotMatch(run.output, /^later +\| later-ran$/m);
      assert.equal(run.report().status, "canceled");
      assert.deepEqual(run.statuses(), { long: "canceled", later: "canceled" });
      assert.deepEqual(await labelledResources(engine, { ownerPid: run.pid }), {
        containers: [],
        networks: [],
      });
    });

    test("a second SIGINT stops a container job's after_script at once, and nothing is left", async () => {
      const run = liveRun(
        containerJob(
          ["echo script-started", "sleep 300"],
          ["echo after-script-started", "sleep 300", "echo after-script-finished"],
        ),
        "--executor",
        "docker",
      );
      pids.push(run.pid);
      await run.jobPrinted("long", "script-started");
      await jobIsUp(run);
      run.interrupt();
      await run.jobPrinted("long", "after-script-started");

      run.interrupt();
      assert.equal(await run.exitCode(), 1, run.output);
      assert.match(run.output, /Stopping every job now/);
      assert.doesNotMatch(run.output, /^long +\| after-script-finished$/m);
      assert.deepEqual(run.statuses(), { long: "canceled", later: "canceled" });
      assert.deepEqual(await labelledResources(engine, { ownerPid: run.pid }), {
        containers: [],
        networks: [],
      });
    });
  });
});

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}
