/**
 * `conveyor run --executor docker` end to end: the real command in a child process, real git
 * repositories, the real Docker engine with the locally built test images (no registry). What
 * GitLab documents for the Docker executor must hold: services answer under their alias
 * (https://docs.gitlab.com/ci/services/#accessing-the-services), artifacts and dotenv variables
 * reach later jobs (https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsdotenv),
 * `pull_policy: never` fails a job whose image is not on the engine
 * (https://docs.gitlab.com/ci/yaml/#imagepull_policy), and a run leaves no container or network.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  connectTestEngine,
  labelledResources,
  removeLabelledResources,
  ensureTestImages,
  HTTPD_BODY,
  TEST_BUSYBOX_IMAGE,
  TEST_HTTPD_IMAGE,
} from "@conveyor/executor-docker/testing";
import type { RunReport as Report } from "./run/run-report.js";
import { CONVEYOR_BIN, repository } from "./testing/cli-process.js";

type Engine = Awaited<ReturnType<typeof connectTestEngine>>;

interface DockerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The CLI's process id: the executor labels what it creates with it (`owner-pid`). */
  pid: number;
  report: Report;
  statuses: Record<string, string>;
}

const cleanupDirs: string[] = [];
const cliPids: number[] = [];
let engine: Engine;

before(async () => {
  engine = await connectTestEngine();
  await ensureTestImages(engine);
});

after(async () => {
  // Whatever a failed test left behind goes; the tests themselves assert there is nothing.
  for (const pid of cliPids) await removeLabelledResources(engine, { ownerPid: pid });
  for (const dir of cleanupDirs) rmSync(dir, { recursive: true, force: true });
});

/** Commits `ci` as `.gitlab-ci.yml` in a new repository and runs `conveyor run ARGS` there. */
async function runPipeline(ci: string[], ...args: string[]): Promise<DockerRun> {
  const repo = repository({ ".gitlab-ci.yml": `${ci.join("\n")}\n` });
  cleanupDirs.push(repo);
  const scratch = mkdtempSync(join(tmpdir(), "conveyor-run-docker-"));
  cleanupDirs.push(scratch);
  const reportFile = join(scratch, "report.json");
  const child = spawn(process.execPath, [CONVEYOR_BIN, "run", "--report", reportFile, ...args], {
    cwd: repo,
  });
  cliPids.push(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const report: Report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, "utf8")) as Report)
    : { status: "none", jobs: [] };
  return {
    code,
    stdout,
    stderr,
    pid: child.pid!,
    report,
    statuses: Object.fromEntries(report.jobs.map((job) => [job.name, job.status])),
  };
}

/** YAML for script lines, each quoted so `:` and quotes in shell stay shell. */
function script(key: string, lines: string[]): string[] {
  return [`  ${key}:`, ...lines.map((line) => `    - ${JSON.stringify(line)}`)];
}

describe("conveyor run --executor docker", { concurrency: true }, () => {
  test("a job reaches its service by the alias, and the run leaves no container or network", async () => {
    const out = await runPipeline(
      [
        "fetch:",
        `  image: ${TEST_BUSYBOX_IMAGE}`,
        "  services:",
        `    - name: ${TEST_HTTPD_IMAGE}`,
        "      alias: web",
        ...script("script", [
          "wget -q -O- http://web/index.html > page.txt",
          'echo "page=$(cat page.txt)"',
          'echo "host=$(hostname)"',
        ]),
      ],
      "--executor",
      "docker",
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(out.statuses, { fetch: "success" });
    assert.match(out.stdout, new RegExp(`fetch +\\| page=${HTTPD_BODY}\\n`));
    assert.match(out.stdout, new RegExp(`Starting service ${TEST_HTTPD_IMAGE}`));
    // The job container's hostname is the prefix of every name the executor gave the job's
    // containers and network: none of them is left, nor anything else labelled for this run.
    const host = /fetch +\| host=(conveyor-job-\S+)\n/.exec(out.stdout)?.[1];
    assert.ok(host, out.stdout);
    const named = await engine.listContainers({ all: true, filters: { name: [host] } });
    assert.deepEqual(
      named.map((c) => c.Names),
      [],
    );
    const networks = await engine.listNetworks({ filters: { name: [host] } });
    assert.deepEqual(
      networks.map((n) => n.Name),
      [],
    );
    assert.deepEqual(await labelledResources(engine, { ownerPid: out.pid }), {
      containers: [],
      networks: [],
    });
  });

  test("artifacts of a docker job reach a later docker job, and its dotenv report becomes a variable", async () => {
    const out = await runPipeline(
      [
        "stages: [build, test]",
        "build:",
        "  stage: build",
        `  image: ${TEST_BUSYBOX_IMAGE}`,
        ...script("script", [
          "mkdir -p out && echo built-in-container > out/result.txt",
          "echo BUILD_VERSION=1.2.3-docker > build.env",
        ]),
        "  artifacts:",
        "    paths: [out/]",
        "    reports:",
        "      dotenv: build.env",
        "check:",
        "  stage: test",
        `  image: ${TEST_BUSYBOX_IMAGE}`,
        ...script("script", [
          'echo "result=$(cat out/result.txt)"',
          'echo "version=$BUILD_VERSION"',
          'test "$BUILD_VERSION" = 1.2.3-docker',
        ]),
      ],
      "--executor",
      "docker",
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(out.statuses, { build: "success", check: "success" });
    assert.match(out.stdout, /check +\| result=built-in-container\n/);
    assert.match(out.stdout, /check +\| version=1\.2\.3-docker\n/);
    assert.deepEqual(await labelledResources(engine, { ownerPid: out.pid }), {
      containers: [],
      networks: [],
    });
  });

  test("--image is the image of jobs without image:, and without it such a job fails", async () => {
    // In the busybox image /bin/sh is a link to busybox; on the host it is not.
    const ci = [
      "which-shell:",
      ...script("script", ['echo "sh=$(readlink /bin/sh)"', "test -f /bin/busybox"]),
    ];
    const withImage = await runPipeline(ci, "--executor", "docker", "--image", TEST_BUSYBOX_IMAGE);
    assert.equal(withImage.code, 0, withImage.stdout + withImage.stderr);
    assert.match(
      withImage.stdout,
      new RegExp(`Using Docker executor with image ${TEST_BUSYBOX_IMAGE}`),
    );
    assert.match(withImage.stdout, /which-shell +\| sh=\/bin\/busybox\n/);

    const without = await runPipeline(ci, "--executor", "docker");
    assert.equal(without.code, 1, without.stdout + without.stderr);
    assert.deepEqual(without.statuses, { "which-shell": "failed" });
    assert.match(without.stdout, /no Docker image specified/);
  });

  test("an image missing from the engine with pull_policy: never fails the pipeline with a clear message", async () => {
    const missing = `conveyor-test/never-built-${process.pid}:latest`;
    const out = await runPipeline(
      [
        "stages: [build, test]",
        "build:",
        "  stage: build",
        "  image:",
        `    name: ${missing}`,
        "    pull_policy: never",
        ...script("script", ["echo must-not-run"]),
        "later:",
        "  stage: test",
        `  image: ${TEST_BUSYBOX_IMAGE}`,
        ...script("script", ["echo must-not-run-either"]),
      ],
      "--executor",
      "docker",
    );
    assert.equal(out.code, 1, out.stdout + out.stderr);
    assert.equal(out.report.status, "failed");
    assert.deepEqual(out.statuses, { build: "failed", later: "skipped" });
    assert.doesNotMatch(out.stdout, /must-not-run/);
    // The job log names the image and the policy that kept it from being pulled.
    const errorLine = out.stdout.split("\n").find((line) => line.includes("ERROR: Job failed"));
    assert.ok(errorLine, out.stdout);
    assert.ok(errorLine.includes(missing), errorLine);
    assert.match(errorLine, /never/);
    assert.match(out.stdout, /Pipeline failed/);
    assert.deepEqual(await labelledResources(engine, { ownerPid: out.pid }), {
      containers: [],
      networks: [],
    });
  });
});
