/**
 * runJob end to end over the shell executor: real git repositories in temp directories, real
 * processes, in-memory artifact and cache stores. Table-driven: each case shapes a payload and
 * checks the result and the job log.
 */
import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobPayload, JobVariable } from "@conveyor/protocol";
import {
  type Executor,
  ExecutorError,
  type JobRunOutcome,
  runJob,
  type RunJobOptions,
} from "@conveyor/runner";
import {
  commitFiles,
  createRepository,
  git,
  MemoryArtifactStore,
  MemoryCacheStore,
  testPayload,
  type TestPayloadOptions,
} from "@conveyor/runner/testing";
import { ShellExecutor } from "./shell-executor.js";

const SECRET = "Sup3r-secret-value-99";
const PAT = "glpat-AbCdEf123456_xyz";

let root: string;
let repo: string;
let head: string;
let jobs = 0;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

before(async () => {
  root = await mkdtemp(join(tmpdir(), "conveyor-run-job-"));
  repo = join(root, "repo");
  await createRepository(repo, { "README.md": "hello from the repo\n", ".gitignore": "dist/\n" });
  head = await commitFiles(repo, { "second.txt": "second\n" });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const variable = (key: string, value: string, extra: Partial<JobVariable> = {}): JobVariable => ({
  key,
  value,
  public: true,
  ...extra,
});

interface Run {
  outcome: JobRunOutcome;
  log: string;
  payload: JobPayload;
  buildsRoot: string;
  projectDir: string;
  artifacts: MemoryArtifactStore;
  cache: MemoryCacheStore;
}

interface RunSetup extends TestPayloadOptions {
  tweak?: (payload: JobPayload) => void;
  options?: Partial<RunJobOptions>;
  /** Runs while the job runs (e.g. sends a cancel); gets the project dir. */
  during?: (projectDir: string, controls: { cancel(): void; abort(): void }) => Promise<void>;
  buildsRoot?: string;
  executor?: Executor;
}

async function runCase(setup: RunSetup = {}): Promise<Run> {
  const id = ++jobs;
  const payload = testPayload({ id, repoUrl: repo, sha: head, ...setup });
  setup.tweak?.(payload);
  const buildsRoot = setup.buildsRoot ?? join(root, `builds-${id}`);
  const projectDir = join(buildsRoot, "0", "group", "project");
  const chunks: Buffer[] = [];
  const artifacts = new MemoryArtifactStore(join(root, `artifacts-${id}`));
  const cache =
    (setup.options?.cache as MemoryCacheStore | undefined) ??
    new MemoryCacheStore(join(root, `cache-${id}`));
  const cancel = new AbortController();
  const abort = new AbortController();
  const running = runJob({
    payload,
    executor: setup.executor ?? new ShellExecutor({ killGraceMs: 1000 }),
    trace: { write: (chunk) => chunks.push(Buffer.from(chunk)) },
    artifacts,
    cache,
    buildsRoot,
    signal: cancel.signal,
    abortSignal: abort.signal,
    clock: () => Date.now(),
    runner: { version: "9.9.9", revision: "abc1234" },
    ...setup.options,
  });
  if (setup.during) {
    await setup.during(projectDir, { cancel: () => cancel.abort(), abort: () => abort.abort() });
  }
  const outcome = await running;
  return {
    outcome,
    log: Buffer.concat(chunks).toString("utf8"),
    payload,
    buildsRoot,
    projectDir,
    artifacts,
    cache,
  };
}

async function waitForFile(path: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await exists(path))) {
    if (Date.now() > until) throw new Error(`${path} never appeared`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The section names in the log, in order. */
function sections(log: string): string[] {
  return [...log.matchAll(/section_start:\d+:([a-z_]+)\r/g)].map((m) => m[1]!);
}

interface Case {
  name: string;
  setup: RunSetup;
  check: (run: Run) => void | Promise<void>;
}

const cases: Case[] = [
  {
    name: "runs a successful job through the runner's stages",
    setup: {
      script: ["cat README.md", 'echo "dir=$CI_PROJECT_DIR"'],
      afterScript: ['echo "after status=$CI_JOB_STATUS"'],
    },
    check: ({ outcome, log, projectDir }) => {
      assert.deepEqual(outcome.result, { state: "success" });
      assert.deepEqual(sections(log), [
        "prepare_executor",
        "prepare_script",
        "get_sources",
        "step_script",
        "after_script",
      ]);
      assert.ok(log.startsWith("\x1b[0KRunning with conveyor 9.9.9 (abc1234)\x1b[0;m\n"));
      assert.match(log, /Preparing the "shell" executor/);
      assert.match(log, /Using Shell \(bash\) executor\.\.\./);
      assert.ok(log.includes(`Running on ${hostname()}...\n`), "prepare_script names this host");
      assert.match(log, /Getting source from Git repository/);
      assert.match(log, /Executing "step_script" stage of the job script/);
      assert.ok(log.includes("\x1b[32;1m$ cat README.md\x1b[0;m\nhello from the repo\n"));
      assert.ok(log.includes(`dir=${projectDir}\n`));
      assert.match(log, /after status=success/);
      assert.ok(log.endsWith("\x1b[32;1mJob succeeded\x1b[0;m\n"));
      assert.deepEqual(
        outcome.stages.map((s) => s.stage),
        [
          "prepare_executor",
          "prepare_script",
          "get_sources",
          "step_script",
          "after_script",
          "cleanup",
        ],
      );
      assert.ok(outcome.durationMs >= 0);
    },
  },
  {
    name: "reports a failing script's exit code and runs after_script with failed",
    setup: {
      script: ["echo before", "exit 42", "echo never"],
      afterScript: ['echo "status=$CI_JOB_STATUS"'],
    },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, {
        state: "failed",
        failure_reason: "script_failure",
        exit_code: 42,
      });
      assert.doesNotMatch(log, /^never$/m);
      assert.match(log, /^status=failed$/m);
      assert.ok(log.endsWith("\x1b[31;1mERROR: Job failed: exit status 42\x1b[0;m\n"));
    },
  },
  {
    name: "masks secrets, the job token and GitLab tokens in the log",
    setup: {
      script: ['echo "secret=$MY_SECRET"', 'echo "token=$CI_JOB_TOKEN"', `echo "pat=${PAT}"`],
      variables: [variable("MY_SECRET", SECRET, { public: false, masked: true })],
    },
    check: ({ outcome, log }) => {
      assert.equal(outcome.result.state, "success");
      assert.ok(!log.includes(SECRET));
      assert.ok(!log.includes("TestJobToken"));
      assert.ok(!log.includes(PAT));
      assert.match(log, /^secret=\[MASKED\]$/m);
      assert.match(log, /^token=\[MASKED\]$/m);
      assert.match(log, /^pat=glpat-\[MASKED\]$/m);
    },
  },
  {
    name: "stops at the job timeout without after_script",
    setup: {
      script: ["sleep 30"],
      afterScript: ["echo after-ran"],
      timeoutSeconds: 1,
    },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, {
        state: "failed",
        failure_reason: "job_execution_timeout",
      });
      assert.match(
        log,
        /WARNING: step_script could not run to completion because the timeout was exceeded/,
      );
      assert.doesNotMatch(log, /after-ran/);
      assert.ok(log.endsWith("ERROR: Job failed: execution took longer than 1s seconds\x1b[0;m\n"));
    },
  },
  {
    name: "stops the script at RUNNER_SCRIPT_TIMEOUT and still runs after_script",
    setup: {
      script: ["sleep 30"],
      afterScript: ['echo "after status=$CI_JOB_STATUS"'],
      variables: [variable("RUNNER_SCRIPT_TIMEOUT", "1s")],
    },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, {
        state: "failed",
        failure_reason: "job_execution_timeout",
      });
      assert.match(log, /step_script could not run to completion/);
      assert.match(log, /^after status=timedout$/m);
      assert.match(log, /ERROR: Job failed: script timeout: context deadline exceeded/);
    },
  },
  {
    name: "stops after_script at RUNNER_AFTER_SCRIPT_TIMEOUT and keeps the job's success",
    setup: {
      script: ["echo ok"],
      afterScript: ["sleep 30"],
      variables: [variable("RUNNER_AFTER_SCRIPT_TIMEOUT", "500ms")],
    },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, { state: "success" });
      assert.match(
        log,
        /after_script could not run to completion because the timeout was exceeded/,
      );
      assert.match(
        log,
        /after_script failed, but job will continue unaffected: context deadline exceeded/,
      );
    },
  },
  {
    name: "a graceful cancel stops the script, then runs after_script with canceled",
    setup: {
      script: ["touch started", "sleep 30", "echo never"],
      afterScript: ['echo "after status=$CI_JOB_STATUS"'],
      during: async (dir, { cancel }) => {
        await waitForFile(join(dir, "started"));
        cancel();
      },
    },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, {
        state: "failed",
        failure_reason: "unknown_failure",
        canceled: true,
      });
      assert.match(log, /WARNING: script canceled externally \(UI, API\)/);
      assert.match(log, /^after status=canceled$/m);
      assert.doesNotMatch(log, /^never$/m);
      assert.ok(log.endsWith("ERROR: Job failed: canceled\x1b[0;m\n"));
    },
  },
  {
    name: "a hard abort stops everything, after_script included",
    setup: {
      script: ["touch started", "sleep 30"],
      afterScript: ["echo after-ran"],
      during: async (dir, { abort }) => {
        await waitForFile(join(dir, "started"));
        abort();
      },
    },
    check: ({ outcome, log }) => {
      assert.equal(outcome.result.canceled, true);
      assert.doesNotMatch(log, /after-ran/);
      assert.doesNotMatch(log, /Running after_script/);
    },
  },
  {
    // With a minute of grace, a hard abort that waited for it would run into the test's timeout.
    name: "a hard abort kills at once, without the grace period a cancel gives",
    setup: {
      executor: new ShellExecutor({ killGraceMs: 60_000 }),
      script: ["trap '' TERM", "touch started", "sleep 120 & wait; sleep 120"],
      during: async (dir, { abort }) => {
        await waitForFile(join(dir, "started"));
        abort();
      },
    },
    check: ({ outcome }) => {
      assert.equal(outcome.result.canceled, true);
    },
  },
  {
    name: "fails the job on an after_script error when AFTER_SCRIPT_IGNORE_ERRORS=false",
    setup: {
      script: ["echo ok"],
      afterScript: ["exit 3"],
      variables: [variable("AFTER_SCRIPT_IGNORE_ERRORS", "false")],
    },
    check: ({ outcome }) => {
      assert.deepEqual(outcome.result, {
        state: "failed",
        failure_reason: "script_failure",
        exit_code: 3,
      });
    },
  },
  {
    name: "ignores an after_script error by default",
    setup: { script: ["echo ok"], afterScript: ["exit 3"] },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, { state: "success" });
      assert.match(
        log,
        /WARNING: after_script failed, but job will continue unaffected: exit status 3/,
      );
    },
  },
  {
    name: "fetches at GIT_DEPTH and checks out the job's commit",
    setup: { depth: 1, script: ["git rev-list --count HEAD", "git rev-parse HEAD"] },
    check: ({ outcome, log }) => {
      assert.equal(outcome.result.state, "success");
      assert.match(log, /Fetching changes with git depth set to 1\.\.\./);
      assert.match(log, /^1$/m);
      assert.ok(log.includes(`\n${head}\n`));
    },
  },
  {
    name: "runs the get-sources hooks around the checkout",
    setup: {
      tweak: (payload) => {
        payload.hooks = [
          { name: "pre_get_sources_script", script: ['echo "pre in $(pwd)"'] },
          { name: "post_get_sources_script", script: ["echo post sees $(cat README.md)"] },
        ];
      },
    },
    check: ({ outcome, log, buildsRoot }) => {
      assert.equal(outcome.result.state, "success");
      const pre = log.indexOf(`pre in ${join(buildsRoot, "0")}`);
      const fetch = log.indexOf("Fetching changes");
      const post = log.indexOf("post sees hello from the repo");
      assert.ok(pre !== -1 && fetch > pre && post > fetch, log);
    },
  },
  {
    name: "gives file variables a file and removes it afterwards",
    setup: {
      script: ['cat "$KUBECONFIG_STAGING"'],
      variables: [variable("KUBECONFIG_STAGING", "kind: Config\n", { public: false, file: true })],
    },
    check: async ({ outcome, log, projectDir }) => {
      assert.equal(outcome.result.state, "success");
      assert.match(log, /^kind: Config$/m);
      assert.match(log, /Cleaning up project directory and file based variables/);
      assert.equal(await exists(join(`${projectDir}.tmp`, "KUBECONFIG_STAGING")), false);
    },
  },
  {
    name: "uploads artifacts and saves the cache",
    setup: {
      script: ["mkdir -p dist vendor", "echo built > dist/out.txt", "echo dep > vendor/lib.txt"],
      tweak: (payload) => {
        payload.artifacts = [
          {
            name: "artifacts",
            paths: ["dist/"],
            when: "on_success",
            artifact_type: "archive",
            artifact_format: "zip",
          },
        ];
        payload.cache = [
          { key: "deps-key", paths: ["vendor/"], policy: "pull-push", when: "on_success" },
        ];
      },
    },
    check: ({ outcome, log, artifacts, cache }) => {
      assert.equal(outcome.result.state, "success", log);
      assert.deepEqual(sections(log).slice(-4), [
        "restore_cache",
        "step_script",
        "archive_cache",
        "upload_artifacts_on_success",
      ]);
      assert.equal(artifacts.uploads.length, 1);
      assert.ok(cache.entries.has("deps-key"));
    },
  },
  {
    name: "fails with missing_dependency_failure when a dependency's artifacts are gone",
    setup: {
      script: ["echo never-runs"],
      tweak: (payload) => {
        payload.dependencies = [
          {
            id: 999,
            name: "build",
            token: "t",
            artifacts_file: { filename: "artifacts.zip", size: 1 },
          },
        ];
      },
    },
    check: ({ outcome, log }) => {
      assert.equal(outcome.result.failure_reason, "missing_dependency_failure");
      assert.doesNotMatch(log, /^never-runs$/m);
    },
  },
  {
    name: "reports an executor that cannot prepare as a runner system failure",
    setup: {
      executor: {
        name: "broken",
        prepare: async () => {
          throw new ExecutorError("no such image");
        },
      },
    },
    check: ({ outcome, log }) => {
      assert.deepEqual(outcome.result, {
        state: "failed",
        failure_reason: "runner_system_failure",
      });
      assert.ok(log.endsWith("ERROR: Job failed (system failure): no such image\x1b[0;m\n"));
    },
  },
];

describe("runJob over the shell executor", () => {
  for (const c of cases) {
    it(c.name, { timeout: 30_000 }, async () => {
      await c.check(await runCase(c.setup));
    });
  }

  it("reuses the build directory with fetch and cleans it with GIT_CLEAN_FLAGS", async () => {
    const buildsRoot = join(root, "shared-builds");
    const first = await runCase({
      buildsRoot,
      script: ["echo junk > untracked.txt", "mkdir -p dist", "echo x > dist/ignored"],
    });
    assert.equal(first.outcome.result.state, "success");
    assert.ok(await exists(join(first.projectDir, "untracked.txt")));

    const second = await runCase({
      buildsRoot,
      script: ["test ! -e untracked.txt", "test ! -e dist"],
    });
    assert.equal(second.outcome.result.state, "success", second.log);
    assert.doesNotMatch(second.log, /Created fresh repository/);
    assert.match(second.log, /Removing untracked\.txt/);

    await writeFile(join(second.projectDir, "untracked.txt"), "junk");
    const kept = await runCase({
      buildsRoot,
      script: ["test -e untracked.txt"],
      variables: [variable("GIT_CLEAN_FLAGS", "none")],
    });
    assert.equal(kept.outcome.result.state, "success", kept.log);

    const cloned = await runCase({
      buildsRoot,
      script: ["test ! -e untracked.txt"],
      variables: [variable("GIT_STRATEGY", "clone")],
    });
    assert.equal(cloned.outcome.result.state, "success", cloned.log);
    assert.match(cloned.log, /Created fresh repository/);
  });

  it("runs on a working tree with uncommitted changes and leaves it untouched", async () => {
    const wt = join(root, "worktree");
    const sha = await createRepository(wt, { "app.txt": "committed\n" });
    await writeFile(join(wt, "app.txt"), "uncommitted\n");
    await writeFile(join(wt, "new.txt"), "new\n");
    const statusBefore = git(wt, "--no-optional-locks", "status", "--porcelain");
    const indexBefore = (await stat(join(wt, ".git", "index"))).mtimeMs;

    const run = await runCase({
      repoUrl: wt,
      sha,
      script: ["cat app.txt new.txt", "echo from-job > job-output.txt"],
      options: { workingTree: wt },
    });
    assert.equal(run.outcome.result.state, "success", run.log);
    assert.match(run.log, /^uncommitted\nnew$/m);
    assert.equal(git(wt, "--no-optional-locks", "status", "--porcelain"), statusBefore);
    assert.equal((await stat(join(wt, ".git", "index"))).mtimeMs, indexBefore);
    assert.equal(await exists(join(wt, "job-output.txt")), false);
    assert.equal(await readFile(join(wt, "app.txt"), "utf8"), "uncommitted\n");
  });

  it("restores a cache saved by an earlier job", async () => {
    const cache = new MemoryCacheStore(join(root, "shared-cache"));
    const withCache = (payload: JobPayload) => {
      payload.cache = [
        { key: "shared", paths: ["vendor/"], policy: "pull-push", when: "on_success" },
      ];
    };
    const first = await runCase({
      script: ["mkdir -p vendor", "echo cached-content > vendor/file.txt"],
      tweak: withCache,
      options: { cache },
    });
    assert.equal(first.outcome.result.state, "success", first.log);
    const second = await runCase({
      script: ["cat vendor/file.txt"],
      tweak: withCache,
      options: { cache },
    });
    assert.equal(second.outcome.result.state, "success", second.log);
    assert.match(second.log, /^cached-content$/m);
  });
});
