/**
 * `conveyor run` with the shell executor, behaviour by behaviour as GitLab documents it
 * (https://docs.gitlab.com/ci/yaml/): the real command in a child process, real git
 * repositories, real shells. Jobs note what they do in a file outside their checkout
 * (`$EVENTS`), so the order in which they ran can be checked.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { RunReport as Report } from "./run/run-report.js";
import {
  CONVEYOR_BIN,
  conveyorAsync,
  git,
  repository,
  type CommandResult,
} from "./testing/cli-process.js";

const cleanup: string[] = [];
after(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

interface RunOutcome extends CommandResult {
  repo: string;
  /** A folder outside the checkout the jobs may write to (`$SCRATCH`). */
  scratch: string;
  report: Report;
  /** Lines the jobs appended to `$EVENTS`, in order. */
  events: string[];
  statuses: Record<string, string>;
}

async function runIn(repo: string, ...args: string[]): Promise<RunOutcome> {
  const scratch = mkdtempSync(join(tmpdir(), "conveyor-run-scratch-"));
  cleanup.push(scratch);
  const events = join(scratch, "events");
  writeFileSync(events, "");
  const reportFile = join(scratch, "report.json");
  const result = await conveyorAsync(
    repo,
    "run",
    "--report",
    reportFile,
    "--var",
    `EVENTS=${events}`,
    "--var",
    `SCRATCH=${scratch}`,
    ...args,
  );
  const report: Report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, "utf8")) as Report)
    : { status: "none", jobs: [] };
  return {
    ...result,
    repo,
    scratch,
    report,
    events: readFileSync(events, "utf8").split("\n").filter(Boolean),
    statuses: Object.fromEntries(report.jobs.map((job) => [job.name, job.status])),
  };
}

async function run(files: Record<string, string>, ...args: string[]): Promise<RunOutcome> {
  const repo = repository(files);
  cleanup.push(repo);
  return runIn(repo, ...args);
}

/** A job that notes its start and end around `work` (script lines quoted as YAML strings). */
function job(name: string, lines: string[], work = "echo working"): string {
  const script = [`echo "start ${name}" >> "$EVENTS"`, work, `echo "end ${name}" >> "$EVENTS"`];
  return [
    `${name}:`,
    ...lines.map((line) => `  ${line}`),
    "  script:",
    ...script.map((line) => `    - ${JSON.stringify(line)}`),
  ].join("\n");
}

function before(events: string[], first: string, second: string): boolean {
  const a = events.indexOf(first);
  const b = events.indexOf(second);
  assert.ok(a >= 0, `${first} happened: ${events.join(", ")}`);
  assert.ok(b >= 0, `${second} happened: ${events.join(", ")}`);
  return a < b;
}

describe("conveyor run: stages and needs", () => {
  test("a stage starts when every job of the stage before it has finished", async () => {
    const out = await run(
      {
        ".gitlab-ci.yml": [
          "stages: [build, test]",
          job("quick", ["stage: build"]),
          job("slow", ["stage: build"], "sleep 0.5"),
          job("check", ["stage: test"]),
        ].join("\n"),
      },
      "--concurrency",
      "4",
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.equal(out.report.status, "success");
    assert.ok(before(out.events, "end slow", "start check"));
    assert.ok(before(out.events, "end quick", "start check"));
  });

  test("a job with needs starts when its needs finish, before its stage's turn", async () => {
    const out = await run(
      {
        ".gitlab-ci.yml": [
          "stages: [build, test]",
          job("a", ["stage: build"]),
          job("slow", ["stage: build"], "sleep 1"),
          job("b", ["stage: test", "needs: [a]"]),
        ].join("\n"),
      },
      "--concurrency",
      "4",
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.ok(before(out.events, "end a", "start b"));
    assert.ok(before(out.events, "start b", "end slow"), out.events.join(", "));
  });

  test("named jobs run alone, and with --needs the jobs they need run first", async () => {
    const files = {
      ".gitlab-ci.yml": [
        "stages: [build, test]",
        job("compile", ["stage: build"]),
        job("lint", ["stage: build"]),
        job("unit", ["stage: test", "needs: [compile]"]),
      ].join("\n"),
    };
    const alone = await run(files, "unit");
    assert.equal(alone.code, 0, alone.stdout + alone.stderr);
    assert.deepEqual(Object.keys(alone.statuses), ["unit"]);
    const withNeeds = await run(files, "unit", "--needs");
    assert.deepEqual(withNeeds.statuses, { compile: "success", unit: "success" });
    assert.ok(before(withNeeds.events, "end compile", "start unit"));
  });

  test("an unknown job name is a usage error (exit 2)", async () => {
    const out = await run({ ".gitlab-ci.yml": job("a", []) }, "b");
    assert.equal(out.code, 2);
    assert.match(out.stderr, /no job 'b'/);
  });
});

describe("conveyor run: when, failures and allow_failure", () => {
  const failing = {
    ".gitlab-ci.yml": [
      "stages: [build, test, cleanup]",
      job("build", ["stage: build"], "exit 3"),
      job("test", ["stage: test"]),
      job("report", ["stage: test", "when: on_failure"]),
      job("tidy", ["stage: cleanup", "when: always"]),
    ].join("\n"),
  };

  test("a failed job fails the pipeline: later jobs are skipped, on_failure and always run", async () => {
    const out = await run(failing);
    assert.equal(out.code, 1);
    assert.equal(out.report.status, "failed");
    assert.deepEqual(out.statuses, {
      build: "failed",
      test: "skipped",
      report: "success",
      tidy: "success",
    });
    assert.equal(out.report.jobs.find((j) => j.name === "build")?.exit_code, 3);
    assert.match(out.stdout, /Pipeline failed/);
  });

  const cases: { name: string; lines: string[]; code: number; job: string; pipeline: string }[] = [
    {
      name: "allow_failure: true lets the pipeline pass with warnings",
      lines: ["allow_failure: true"],
      code: 0,
      job: "failed",
      pipeline: "success",
    },
    {
      name: "allow_failure:exit_codes allows the listed exit code",
      lines: ["allow_failure:", "  exit_codes: [3]"],
      code: 0,
      job: "failed",
      pipeline: "success",
    },
    {
      name: "allow_failure:exit_codes does not allow other exit codes",
      lines: ["allow_failure:", "  exit_codes: [4]"],
      code: 1,
      job: "failed",
      pipeline: "failed",
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const out = await run({ ".gitlab-ci.yml": job("flaky", c.lines, "exit 3") });
      assert.equal(out.code, c.code, out.stdout);
      assert.equal(out.statuses.flaky, c.job);
      assert.equal(out.report.status, c.pipeline);
      if (c.code === 0) assert.match(out.stdout, /passed with warnings/);
    });
  }

  test("after_script runs after a failure, in its own shell, and cannot fail the job", async () => {
    const out = await run({
      ".gitlab-ci.yml": [
        job(
          "a",
          ["after_script:", '  - echo "after $CI_JOB_STATUS $MINE" >> "$EVENTS"', "  - exit 7"],
          "export MINE=set; exit 1",
        ),
        job("b", ["after_script:", '  - echo "after $CI_JOB_STATUS" >> "$EVENTS"', "  - exit 7"]),
      ].join("\n"),
    });
    assert.deepEqual(out.statuses, { a: "failed", b: "success" });
    assert.ok(out.events.includes("after failed "), out.events.join(", "));
    assert.ok(out.events.includes("after success"));
  });

  test("retry runs a failing job again, up to max, for the failures it names", async () => {
    const counting =
      'n=$(cat "$SCRATCH/count" 2>/dev/null || echo 0); echo $((n+1)) > "$SCRATCH/count"; test $n -ge 2';
    const out = await run({
      ".gitlab-ci.yml": job("flaky", ["retry:", "  max: 2", "  when: script_failure"], counting),
    });
    assert.equal(out.code, 0, out.stdout);
    assert.equal(out.statuses.flaky, "success");
    assert.equal(out.events.filter((e) => e === "start flaky").length, 3);
    const never = await run({
      ".gitlab-ci.yml": job("flaky", ["retry:", "  max: 2", "  exit_codes: [5]"], "exit 1"),
    });
    assert.equal(never.code, 1);
    assert.equal(never.events.filter((e) => e === "start flaky").length, 1);
  });

  test("a job over its timeout is stopped and fails", async () => {
    const out = await run({
      ".gitlab-ci.yml": job("slow", ["timeout: 1 second"], "sleep 30"),
    });
    assert.equal(out.code, 1);
    assert.equal(out.statuses.slow, "failed");
    assert.ok(!out.events.includes("end slow"));
    assert.match(out.stdout, /execution took longer than/);
  });

  test("jobs of one resource_group run one at a time", async () => {
    const locked = (name: string) =>
      job(
        name,
        ["resource_group: production"],
        `echo "in ${name}" >> "$EVENTS"; sleep 0.3; echo "out ${name}" >> "$EVENTS"`,
      );
    const out = await run(
      { ".gitlab-ci.yml": [locked("one"), locked("two"), job("free", [])].join("\n") },
      "--concurrency",
      "3",
    );
    assert.equal(out.code, 0, out.stdout);
    const inside = out.events.filter((e) => /^(in|out) /.test(e));
    assert.deepEqual(
      inside.map((e) => e.split(" ")[0]),
      ["in", "out", "in", "out"],
      inside.join(", "),
    );
  });

  test("a delayed job waits for start_in, then runs", async () => {
    const out = await run({
      ".gitlab-ci.yml": [
        "stages: [a, b]",
        job("first", ["stage: a"], 'date +%s%N > "$SCRATCH/first"'),
        job(
          "later",
          ["stage: b", "when: delayed", "start_in: 1 second"],
          'date +%s%N > "$SCRATCH/later"',
        ),
      ].join("\n"),
    });
    assert.equal(out.code, 0, out.stdout);
    assert.equal(out.statuses.later, "success");
    const first = BigInt(readFileSync(join(out.scratch, "first"), "utf8").trim());
    const later = BigInt(readFileSync(join(out.scratch, "later"), "utf8").trim());
    assert.ok(later - first >= 900_000_000n, `started ${(later - first) / 1_000_000n} ms later`);
  });
});

describe("conveyor run: manual jobs", () => {
  const pipeline = {
    ".gitlab-ci.yml": [
      "stages: [build, deploy, verify]",
      job("build", ["stage: build"]),
      job("deploy", ["stage: deploy", "when: manual", "allow_failure: false"]),
      job("smoke", ["stage: verify"]),
      job("docs", ["stage: verify", "when: manual"]),
    ].join("\n"),
  };

  test("a blocking manual job stays manual and what follows it stays created: the pipeline is blocked", async () => {
    const out = await run(pipeline);
    assert.equal(out.code, 1);
    assert.equal(out.report.status, "manual");
    assert.deepEqual(out.statuses, {
      build: "success",
      deploy: "manual",
      smoke: "created",
      docs: "created",
    });
    assert.match(out.stdout, /blocked.*deploy/);
  });

  test("--manual plays the named job when it becomes playable; manual jobs not named stay manual", async () => {
    const out = await run(pipeline, "--manual", "deploy");
    assert.equal(out.code, 0, out.stdout);
    assert.equal(out.report.status, "success");
    assert.deepEqual(out.statuses, {
      build: "success",
      deploy: "success",
      smoke: "success",
      docs: "manual",
    });
    assert.ok(before(out.events, "end build", "start deploy"));
    assert.ok(before(out.events, "end deploy", "start smoke"));
  });
});

describe("conveyor run: artifacts, dotenv and cache", () => {
  test("artifacts reach later jobs, except those with dependencies: []", async () => {
    const out = await run({
      ".gitlab-ci.yml": [
        "stages: [build, test]",
        job(
          "build",
          ["stage: build", "artifacts:", "  paths: [out/]"],
          "mkdir -p out && echo built > out/app",
        ),
        job("uses", ["stage: test"], 'echo "saw $(cat out/app)" >> "$EVENTS"'),
        job(
          "without",
          ["stage: test", "dependencies: []"],
          'test ! -e out/app && echo "saw nothing" >> "$EVENTS"',
        ),
      ].join("\n"),
    });
    assert.equal(out.code, 0, out.stdout);
    assert.ok(out.events.includes("saw built"));
    assert.ok(out.events.includes("saw nothing"));
    const zip = join(out.repo, ".conveyor", "pipelines", "1", "jobs", "1", "artifacts.zip");
    assert.ok(existsSync(zip), "the archive is kept under .conveyor/");
  });

  test("a dotenv report becomes variables of the jobs that take its artifacts", async () => {
    const out = await run({
      ".gitlab-ci.yml": [
        "stages: [build, deploy]",
        job(
          "build",
          ["stage: build", "artifacts:", "  reports:", "    dotenv: build.env"],
          "echo VERSION=1.2.3 > build.env",
        ),
        job("deploy", ["stage: deploy"], 'echo "version $VERSION" >> "$EVENTS"'),
      ].join("\n"),
    });
    assert.equal(out.code, 0, out.stdout);
    assert.ok(out.events.includes("version 1.2.3"), out.events.join(", "));
  });

  test("a JUnit report is summarised at the end", async () => {
    const junit =
      '<testsuite name="s"><testcase name="a"/><testcase name="b"><failure>x</failure></testcase></testsuite>';
    const out = await run({
      ".gitlab-ci.yml": job(
        "unit",
        ["artifacts:", "  reports:", "    junit: report.xml"],
        `echo '${junit}' > report.xml`,
      ),
    });
    assert.equal(out.code, 0, out.stdout);
    assert.match(out.stdout, /Tests of unit: 2 total, 1 passed, 1 failed/);
  });

  test("a cache keyed by files is shared while the files stay, and starts anew when they change", async () => {
    const files = {
      ".gitlab-ci.yml": job(
        "build",
        ["cache:", "  key:", "    files: [deps.lock]", "  paths: [.deps/]"],
        'mkdir -p .deps && echo x >> .deps/log && echo "runs $(wc -l < .deps/log)" >> "$EVENTS"',
      ),
      "deps.lock": "v1\n",
    };
    const first = await run(files);
    const second = await runIn(first.repo);
    writeFileSync(join(first.repo, "deps.lock"), "v2\n");
    git(first.repo, "commit", "-qam", "new lock");
    const third = await runIn(first.repo);
    assert.ok(first.events.includes("runs 1"), first.stdout);
    assert.ok(second.events.includes("runs 2"), second.events.join(", "));
    assert.ok(third.events.includes("runs 1"), third.events.join(", "));
  });

  test("a cache saved by one run is restored in the next", async () => {
    const files = {
      ".gitlab-ci.yml": job(
        "build",
        ["cache:", "  key: deps", "  paths: [.deps/]"],
        'mkdir -p .deps && echo x >> .deps/log && echo "runs $(wc -l < .deps/log)" >> "$EVENTS"',
      ),
    };
    const first = await run(files);
    const second = await runIn(first.repo);
    assert.ok(first.events.includes("runs 1"));
    assert.ok(second.events.includes("runs 2"), second.events.join(", "));
    assert.match(second.stdout, /Pipeline #2/);
  });
});

describe("conveyor run: the repository", () => {
  test("jobs run on a checkout of the commit; --working-tree adds uncommitted changes", async () => {
    const files = {
      ".gitlab-ci.yml": job(
        "show",
        [],
        'echo "value $(cat value)" >> "$EVENTS"; echo changed > value',
      ),
      value: "committed\n",
    };
    const repo = repository(files);
    cleanup.push(repo);
    writeFileSync(join(repo, "value"), "uncommitted\n");
    const clean = await runIn(repo);
    assert.ok(clean.events.includes("value committed"), clean.events.join(", "));
    const dirty = await runIn(repo, "--working-tree");
    assert.ok(dirty.events.includes("value uncommitted"), dirty.events.join(", "));
    assert.equal(readFileSync(join(repo, "value"), "utf8"), "uncommitted\n");
    assert.equal(git(repo, "status", "--porcelain"), " M value\n", "only the user's own change");
  });

  test("a branch or tag the repository does not have: jobs check out the commit under that name", async () => {
    const files = {
      ".gitlab-ci.yml": job(
        "show",
        [],
        'echo "$CI_COMMIT_REF_NAME $(git rev-parse HEAD)" >> "$EVENTS"',
      ),
    };
    const repo = repository(files);
    cleanup.push(repo);
    const head = git(repo, "rev-parse", "HEAD").trim();
    for (const [flag, name] of [
      ["--branch", "feature/new"],
      ["--tag", "v9.9.9"],
    ] as const) {
      const out = await runIn(repo, flag, name);
      assert.equal(out.code, 0, out.stdout);
      assert.deepEqual(out.events, ["start show", `${name} ${head}`, "end show"]);
    }
  });

  test("output piped into a reader that stops early: the run still finishes its jobs", async () => {
    const repo = repository({
      ".gitlab-ci.yml": [job("a", []), job("b", ["needs: [a]"], "sleep 0.2")].join("\n"),
    });
    cleanup.push(repo);
    const report = join(repo, "..", `${repo.split("/").at(-1)}-report.json`);
    cleanup.push(report);
    const child = spawn(
      process.execPath,
      [CONVEYOR_BIN, "run", "--report", report, "--var", "EVENTS=/dev/null"],
      {
        cwd: repo,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    const written = JSON.parse(readFileSync(report, "utf8")) as Report;
    assert.deepEqual(
      written.jobs.map((j) => j.status),
      ["success", "success"],
    );
  });

  test("an invalid file is a configuration error (exit 2) naming file and line", async () => {
    const out = await run({ ".gitlab-ci.yml": "build:\n  stage: build\n  scrip: make\n" });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /\.gitlab-ci\.yml:\d+/);
  });
});
