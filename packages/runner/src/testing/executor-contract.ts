/**
 * The contract every Executor must keep, as a node:test suite: `executorContract(name, make)`
 * registers the tests; an executor package calls it from one of its test files. The scripts come
 * from the runner's own script builder and use only busybox-sh features, so the same suite runs
 * against the shell executor (bash, dash, busybox) and container executors. It checks exit codes,
 * captured output, errexit, after_script's `CI_JOB_STATUS`, file variables, quoting, masking of
 * a secret split across output chunks, timeouts and cancels that also stop background children,
 * and an idempotent cleanup. For a session with a `workspace` (the job cannot see the host's
 * build directory) the suite hands the files it writes on the host to the job with `toJob`, and
 * takes the job's files back with `fromJob` before it looks at them on the host.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import type { Executor, ExecutorSession, StepOutcome } from "../executor.js";
import { afterScript } from "../script/job-scripts.js";
import { buildShellScript } from "../script/shell-script.js";
import {
  fileVariables,
  type JobStatus,
  type JobVariables,
  resolveJobVariables,
  tmpDirOf,
} from "../script/variables.js";
import { JobTrace } from "../trace/job-trace.js";
import { writeFileVariables } from "../workspace/file-variables.js";
import { testPayload } from "./fixtures.js";

const PROJECT_PATH = "group/project";
const SECRET = "s3cr3t-Value-4711";
const TRICKY = `it's "quoted" $HOME \`date\` \\n back\\slash\nsecond line`;

interface StepRun {
  outcome: StepOutcome;
  output: string;
  chunks: Buffer[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => -1,
  );
}

async function waitFor(check: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not reached");
    await sleep(25);
  }
}

export function executorContract(
  name: string,
  makeExecutor: () => Executor | Promise<Executor>,
): void {
  // A broken executor fails a test instead of hanging the run.
  describe(`Executor contract: ${name}`, { timeout: 60_000 }, () => {
    let root: string;
    let hostBuildsDir: string;
    let hostProjectDir: string;
    let executor: Executor;
    let session: ExecutorSession;
    let payload: JobPayload;
    let variables: JobVariables;
    let projectDir: string;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), "conveyor-contract-"));
      hostBuildsDir = join(root, "builds");
      hostProjectDir = join(hostBuildsDir, ...PROJECT_PATH.split("/"));
      await mkdir(hostProjectDir, { recursive: true });
      payload = testPayload({
        projectPath: PROJECT_PATH,
        variables: [
          { key: "MY_SECRET", value: SECRET, public: false, masked: true },
          { key: "CONFIG_FILE", value: "file-content-xyz\n", public: false, file: true },
          { key: "TRICKY", value: TRICKY, public: true, raw: true },
          { key: "NESTED", value: "$CI_PROJECT_DIR/sub", public: true },
        ],
      });
      executor = await makeExecutor();
      session = await executor.prepare({
        payload,
        hostBuildsDir,
        log: () => undefined,
        signal: new AbortController().signal,
      });
      projectDir = posix.join(session.jobBuildsDir, PROJECT_PATH);
      variables = resolveJobVariables({
        payload,
        executorName: executor.name,
        buildsDir: session.jobBuildsDir,
        projectDir,
        concurrentId: 0,
        timeoutSeconds: 3600,
        runner: { version: "test", arch: "linux/amd64" },
      });
      await writeFileVariables(tmpDirOf(hostProjectDir), fileVariables(variables));
      await session.workspace?.toJob(new AbortController().signal);
    });

    after(async () => {
      await session?.cleanup();
      if (root) await rm(root, { recursive: true, force: true });
    });

    async function runScript(
      script: string,
      options: { timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<StepRun> {
      const chunks: Buffer[] = [];
      const outcome = await session.runStep({
        name: "step_script",
        script,
        timeoutMs: options.timeoutMs ?? 60_000,
        signal: options.signal ?? new AbortController().signal,
        output: (chunk) => chunks.push(Buffer.from(chunk)),
      });
      return { outcome, output: Buffer.concat(chunks).toString("utf8"), chunks };
    }

    /** A file's size on the host after the job's files were taken back, -1 when missing. */
    async function hostSizeOf(path: string): Promise<number> {
      await session.workspace?.fromJob(new AbortController().signal);
      return sizeOf(path);
    }

    const commands = (list: string[]) =>
      buildShellScript({ variables, workingDir: projectDir, commands: list });

    it("reports the script's exit code: 0, 1 and 42", async () => {
      for (const [command, code] of [
        ["true", 0],
        ["false", 1],
        ["exit 42", 42],
      ] as const) {
        const { outcome } = await runScript(commands([command]));
        assert.equal(outcome.exitCode, code, command);
        assert.equal(outcome.timedOut, false);
        assert.equal(outcome.canceled, false);
        assert.equal(outcome.systemError, undefined);
      }
    });

    it("captures stdout and stderr and echoes each command", async () => {
      const { outcome, output } = await runScript(
        commands(["echo to-stdout", "echo to-stderr >&2"]),
      );
      assert.equal(outcome.exitCode, 0);
      assert.match(output, /\$ echo to-stdout/);
      assert.match(output, /^to-stdout$/m);
      assert.match(output, /^to-stderr$/m);
    });

    it("stops at the first failing command", async () => {
      const { outcome, output } = await runScript(
        commands(["echo first-command", "false", "echo never-printed"]),
      );
      assert.equal(outcome.exitCode, 1);
      assert.match(output, /^first-command$/m);
      assert.doesNotMatch(output, /never-printed/);
    });

    it("runs in the project directory with the job's variables", async () => {
      const { outcome, output } = await runScript(
        commands([
          'echo "pwd=$(pwd)"',
          'echo "dir=$CI_PROJECT_DIR"',
          'echo "builds=$CI_BUILDS_DIR"',
          'printf "tricky=%s|\\n" "$TRICKY"',
          'echo "nested=$NESTED"',
        ]),
      );
      assert.equal(outcome.exitCode, 0);
      assert.match(output, new RegExp(`^pwd=${projectDir}$`, "m"));
      assert.match(output, new RegExp(`^dir=${projectDir}$`, "m"));
      assert.match(output, new RegExp(`^builds=${session.jobBuildsDir}$`, "m"));
      assert.ok(output.includes(`tricky=${TRICKY}|`), output);
      assert.match(output, new RegExp(`^nested=${projectDir}/sub$`, "m"));
    });

    it("runs after_script with CI_JOB_STATUS", async () => {
      const step = { name: "after_script", script: ['echo "status=$CI_JOB_STATUS"'] };
      for (const status of ["failed", "canceled"] as JobStatus[]) {
        const { outcome, output } = await runScript(
          afterScript(
            { ...step, timeout: 3600, when: "always", allow_failure: true },
            variables,
            projectDir,
            status,
          ),
        );
        assert.equal(outcome.exitCode, 0);
        assert.match(output, /Running after script\.\.\./);
        assert.match(output, new RegExp(`^status=${status}$`, "m"));
      }
    });

    it("points file variables at a file holding the value", async () => {
      const { outcome, output } = await runScript(
        commands(['cat "$CONFIG_FILE"', 'echo "path=$CONFIG_FILE"']),
      );
      assert.equal(outcome.exitCode, 0);
      assert.match(output, /^file-content-xyz$/m);
      assert.match(output, new RegExp(`^path=${tmpDirOf(projectDir)}/CONFIG_FILE$`, "m"));
      const onHost = await readFile(join(tmpDirOf(hostProjectDir), "CONFIG_FILE"), "utf8");
      assert.equal(onHost, "file-content-xyz\n");
    });

    it("never shows a masked value in the trace, even split across output chunks", async () => {
      const traced = async (command: string) => {
        const written: Buffer[] = [];
        const trace = new JobTrace({
          sink: { write: (chunk) => written.push(Buffer.from(chunk)) },
          phrases: [SECRET],
          clock: () => 0,
          sections: false,
        });
        const chunks: Buffer[] = [];
        const outcome = await session.runStep({
          name: "step_script",
          script: commands([command]),
          timeoutMs: 60_000,
          signal: new AbortController().signal,
          output: (chunk) => {
            chunks.push(Buffer.from(chunk));
            trace.write(chunk);
          },
        });
        trace.end();
        assert.equal(outcome.exitCode, 0);
        return { chunks, text: Buffer.concat(written).toString("utf8") };
      };

      const split = await traced(
        `printf '%s' "$MY_SECRET" | head -c 6; sleep 0.3; printf '%s\\n' "$MY_SECRET" | tail -c +7`,
      );
      // The secret reached the trace in two chunks…
      assert.ok(Buffer.concat(split.chunks).toString("utf8").includes(SECRET));
      assert.ok(split.chunks.every((chunk) => !chunk.toString("utf8").includes(SECRET)));
      // …and the trace holds it nowhere.
      assert.ok(!split.text.includes(SECRET), split.text);
      assert.match(split.text, /^\[MASKED\]$/m);

      const whole = await traced('echo "whole=$MY_SECRET"');
      assert.ok(!whole.text.includes(SECRET), whole.text);
      assert.match(whole.text, /^whole=\[MASKED\]$/m);
    });

    it("stops a step at its timeout, children included", async () => {
      const ticks = "timeout-ticks";
      const { outcome } = await runScript(
        commands([`(while :; do echo tick >> ${ticks}; sleep 0.1; done) &`, "sleep 1000"]),
        { timeoutMs: 400 },
      );
      assert.equal(outcome.timedOut, true);
      assert.equal(outcome.exitCode, null);
      const file = join(hostProjectDir, ticks);
      assert.ok((await hostSizeOf(file)) > 0, "the background child ran");
      await sleep(200);
      const size = await hostSizeOf(file);
      await sleep(400);
      assert.equal(await hostSizeOf(file), size, "the background child was stopped");
    });

    it("stops a step on cancel, children included", async () => {
      const ticks = "cancel-ticks";
      const file = join(hostProjectDir, ticks);
      const cancel = new AbortController();
      const running = runScript(
        commands([`(while :; do echo tick >> ${ticks}; sleep 0.1; done) &`, "sleep 1000"]),
        { signal: cancel.signal },
      );
      await waitFor(async () => (await hostSizeOf(file)) > 0);
      cancel.abort();
      const { outcome } = await running;
      assert.equal(outcome.canceled, true);
      assert.equal(outcome.exitCode, null);
      await sleep(200);
      const size = await hostSizeOf(file);
      await sleep(400);
      assert.equal(await hostSizeOf(file), size, "the background child was stopped");
    });

    it("returns at once for a step canceled before it starts", async () => {
      const cancel = new AbortController();
      cancel.abort();
      const { outcome, output } = await runScript(commands(["echo should-not-run"]), {
        signal: cancel.signal,
      });
      assert.equal(outcome.canceled, true);
      assert.doesNotMatch(output, /should-not-run/);
    });

    it("cleans up idempotently and never throws", async () => {
      const other = await executor.prepare({
        payload,
        hostBuildsDir: join(root, "other-builds"),
        log: () => undefined,
        signal: new AbortController().signal,
      });
      const outcome = await other.runStep({
        name: "step_script",
        script: buildShellScript({ variables, commands: ["echo ok"] }),
        timeoutMs: 60_000,
        signal: new AbortController().signal,
        output: () => undefined,
      });
      assert.equal(outcome.exitCode, 0);
      await other.cleanup();
      await other.cleanup();
    });
  });
}
