/**
 * runJob with an executor whose job cannot see the host's build directory (as with Kubernetes
 * pods): the core must hand the job what it prepared on the host (sources, file variables,
 * caches, artifacts) before the steps that need it, and take back what the steps wrote before it
 * archives caches and uploads artifacts. The executor here is a fake at our own interface: real
 * `sh` processes in a second directory, copied to and from with `cp -a`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Executor, ExecutorSession, StepRequest, WorkspaceTransfer } from "../executor.js";
import { MemoryArtifactStore, MemoryCacheStore } from "../testing/fake-stores.js";
import { commitFiles, createRepository, testPayload } from "../testing/fixtures.js";
import { runJob } from "./run-job.js";

const run = promisify(execFile);

/** Copies `from`'s contents over `to`, replacing it. */
async function mirror(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await mkdir(to, { recursive: true });
  await run("cp", ["-a", `${from}/.`, to]);
}

class SeparateDirExecutor implements Executor {
  readonly name = "separate";
  /** What happened, in order: `toJob`, `fromJob` and step names. */
  readonly events: string[] = [];

  constructor(private readonly jobRoot: string) {}

  async prepare(request: { hostBuildsDir: string }): Promise<ExecutorSession> {
    const { hostBuildsDir } = request;
    const jobBuildsDir = this.jobRoot;
    await mkdir(jobBuildsDir, { recursive: true });
    const events = this.events;
    const workspace: WorkspaceTransfer = {
      async toJob() {
        events.push("toJob");
        await mirror(hostBuildsDir, jobBuildsDir);
      },
      async fromJob() {
        events.push("fromJob");
        await mirror(jobBuildsDir, hostBuildsDir);
      },
    };
    return {
      shell: "sh",
      jobBuildsDir,
      hostBuildsDir,
      workspace,
      async runStep(step: StepRequest) {
        events.push(step.name);
        return new Promise((resolve) => {
          const child = execFile("sh", ["-c", step.script], { cwd: jobBuildsDir });
          child.stdout?.on("data", (d: Buffer) => step.output(d));
          child.stderr?.on("data", (d: Buffer) => step.output(d));
          child.on("close", (code) =>
            resolve({ exitCode: code, timedOut: false, canceled: false }),
          );
        });
      },
      async cleanup() {},
    };
  }
}

let root: string;
let repo: string;
let head: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "conveyor-transfer-"));
  repo = join(root, "repo");
  await createRepository(repo, { "README.md": "from the repository\n" });
  head = await commitFiles(repo, { "src.txt": "source\n" });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("runJob with a workspace transfer", () => {
  it("gives the job its sources and file variables, and takes back artifacts and caches", async () => {
    const executor = new SeparateDirExecutor(join(root, "job-side"));
    const payload = testPayload({
      repoUrl: repo,
      sha: head,
      script: [
        "cat src.txt",
        'cat "$SETTINGS"',
        "mkdir -p dist vendor",
        "echo built > dist/out.txt",
        "echo dep > vendor/lib.txt",
      ],
      variables: [{ key: "SETTINGS", value: "from a file variable", public: false, file: true }],
    });
    payload.artifacts = [
      {
        name: "artifacts",
        paths: ["dist/"],
        when: "on_success",
        artifact_type: "archive",
        artifact_format: "zip",
      },
    ];
    payload.cache = [{ key: "deps", paths: ["vendor/"], policy: "pull-push", when: "on_success" }];
    const chunks: Buffer[] = [];
    const artifacts = new MemoryArtifactStore(join(root, "artifacts"));
    const cache = new MemoryCacheStore(join(root, "cache"));
    const outcome = await runJob({
      payload,
      executor,
      trace: { write: (chunk) => chunks.push(Buffer.from(chunk)) },
      artifacts,
      cache,
      buildsRoot: join(root, "host-side"),
      clock: () => Date.now(),
    });
    const log = Buffer.concat(chunks).toString("utf8");
    assert.equal(outcome.result.state, "success", log);
    assert.match(log, /^source$/m);
    assert.match(log, /^from a file variable/m);
    // Files reach the job before prepare_script, again after get_sources changed the host, and
    // come back once, after the last step.
    assert.deepEqual(executor.events, [
      "toJob",
      "prepare_script",
      "toJob",
      "step_script",
      "fromJob",
    ]);
    assert.equal(artifacts.uploads.length, 1);
    assert.ok(cache.entries.has("deps"));
    const hostProject = join(root, "host-side", "0", "group", "project");
    assert.equal(await readFile(join(hostProject, "dist", "out.txt"), "utf8"), "built\n");
  });
});
