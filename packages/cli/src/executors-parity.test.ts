/**
 * One pipeline, three executors, the same results: the same `.gitlab-ci.yml` run by
 * `conveyor run` (the real command in a child process, a real git repository) on the shell, the
 * Docker and the Kubernetes executor. The pipeline uses what a team moving to Kubernetes relies
 * on: `image:`, a service reached by its alias (https://docs.gitlab.com/ci/services/), artifacts
 * of one stage read in the next (`needs`, `dependencies`), a cache written by one job and read by
 * a later one (https://docs.gitlab.com/ci/caching/), `after_script` with `CI_JOB_STATUS`, a
 * failing `allow_failure` job, and a dotenv report feeding a variable to a later job
 * (https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsdotenv). Compared: the jobs'
 * statuses and exit codes (`--report`), the lines the scripts print, the artifacts' and the
 * cache's files.
 *
 * The shell executor runs on the host: GitLab ignores `image:` and `services:` there
 * (https://docs.gitlab.com/runner/executors/#selecting-the-executor), so the job that needs a
 * service is not created on it (its rule reads PARITY_SERVICES, given on the command line for the
 * container executors) and the comparison with the shell leaves that job out. Everything else is
 * compared on all three.
 *
 * The image is a variable (BUSYBOX_IMAGE, given with --var): the Docker engine's local test image
 * (executor-docker's test kit) on Docker, the rig's `local/busybox:latest` on Kubernetes; the YAML
 * is the same. Docker parts are skipped when no engine answers (CONVEYOR_REQUIRE_DOCKER=1 makes
 * that a failure), Kubernetes parts when KUBECONFIG is unset (CONVEYOR_REQUIRE_K8S=1 makes that a
 * failure); each Kubernetes run has a namespace of its own. Per-job overhead (a job's first line
 * to its script's first line, as the test reads the command's output) is reported as diagnostics.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, describe, test } from "node:test";
import {
  connectTestEngine,
  ensureTestImages,
  labelledResources,
  removeLabelledResources,
  TEST_BUSYBOX_IMAGE,
} from "@conveyor/executor-docker/testing";
import { LABELS } from "@conveyor/executor-kubernetes";
import {
  clusterAvailable,
  createTestNamespace,
  type TestNamespace,
} from "@conveyor/executor-kubernetes/testing";
import { readEntry, readZipEntries } from "@conveyor/runner";
import type { RunReport } from "./run/run-report.js";
import { CONVEYOR_BIN, repository } from "./testing/cli-process.js";

type Engine = Awaited<ReturnType<typeof connectTestEngine>>;
type ExecutorName = "shell" | "docker" | "kubernetes";

const REQUIRE_DOCKER_ENV = "CONVEYOR_REQUIRE_DOCKER";
const K8S_IMAGE = "local/busybox:latest";
/** The job that needs a service: not created on the shell executor. */
const SERVICE_JOB = "serve";
/** Bound for the executors' pods and containers to be gone after a run. */
const GONE_TIMEOUT_MS = 60_000;

/** Each line a script prints for the comparison starts with this (and a space). */
const MARK = "PARITY";

const PIPELINE = `
stages: [build, test, report]

variables:
  BUSYBOX_IMAGE: no-image-given
  PARITY_SERVICES: "no"

default:
  image: $BUSYBOX_IMAGE

build:
  stage: build
  cache:
    key: parity-deps
    paths: [vendor/]
  script:
    - 'if [ -f vendor/dep.txt ]; then echo "${MARK} cache=hit"; else echo "${MARK} cache=miss"; fi'
    - mkdir -p out vendor
    - echo artifact-from-build > out/result.txt
    - echo dependency-from-cache > vendor/dep.txt
    - echo BUILD_VERSION=1.2.3-parity > build.env
    - echo "${MARK} build-done"
  after_script:
    - echo "${MARK} after-build status=$CI_JOB_STATUS"
  artifacts:
    paths: [out/]
    reports:
      dotenv: build.env

flaky:
  stage: build
  allow_failure: true
  script:
    - echo "${MARK} flaky-started"
    - exit 3
    - echo "${MARK} never-printed"
  after_script:
    - echo "${MARK} after-flaky status=$CI_JOB_STATUS"

check:
  stage: test
  needs: [build]
  cache:
    key: parity-deps
    paths: [vendor/]
    policy: pull
  script:
    - echo "${MARK} result=$(cat out/result.txt)"
    - echo "${MARK} version=$BUILD_VERSION"
    - echo "${MARK} cached=$(cat vendor/dep.txt)"
    - echo "checked $BUILD_VERSION" > out/check.txt
  artifacts:
    paths: [out/check.txt]

${SERVICE_JOB}:
  stage: test
  rules:
    - if: $PARITY_SERVICES == "yes"
  services:
    - name: $BUSYBOX_IMAGE
      alias: web
      # httpd in the background, so that the service's main process ends on SIGTERM
      entrypoint:
        - sh
        - -c
        - 'mkdir -p /www && echo served-by-web > /www/index.html && httpd -f -p 8080 -h /www & trap "exit 0" TERM; wait'
      variables:
        HEALTHCHECK_TCP_PORT: "8080"
  script:
    - echo "${MARK} page=$(wget -q -O- http://web:8080/index.html)"

summary:
  stage: report
  dependencies: [check]
  script:
    - echo "${MARK} summary=$(cat out/check.txt)"
    - test ! -e out/result.txt && echo "${MARK} only-check-artifacts"
`;

/** A job's row of the report without its duration. */
interface JobRow {
  name: string;
  stage: string;
  status: string;
  allow_failure: boolean;
  exit_code?: number | null;
}

/** What one run gives, in a form that can be compared between executors. */
interface Observed {
  status: string;
  jobs: JobRow[];
  /** Per job, the marked lines its scripts printed, in order. */
  lines: Record<string, string[]>;
  /** Per job, the files of its artifacts: `archive:<path>` and `dotenv`. */
  artifacts: Record<string, Record<string, string>>;
  /** Per cache archive, its files. */
  caches: Record<string, Record<string, string>>;
}

interface RunOutput {
  code: number | null;
  output: string;
  pid: number;
  observed: Observed;
  /** Per job: its first line → its script's first marked line, in ms. */
  overheadMs: Record<string, number>;
  /** Per phase (PHASES), each job's share of that overhead, in ms. */
  phaseMs: Record<string, number[]>;
  wallMs: number;
}

const EXPECTED: Observed = {
  status: "success",
  jobs: [
    { name: "build", stage: "build", status: "success", allow_failure: false, exit_code: 0 },
    { name: "flaky", stage: "build", status: "failed", allow_failure: true, exit_code: 3 },
    { name: "check", stage: "test", status: "success", allow_failure: false, exit_code: 0 },
    { name: SERVICE_JOB, stage: "test", status: "success", allow_failure: false, exit_code: 0 },
    { name: "summary", stage: "report", status: "success", allow_failure: false, exit_code: 0 },
  ],
  lines: {
    build: ["cache=miss", "build-done", "after-build status=success"],
    flaky: ["flaky-started", "after-flaky status=failed"],
    check: ["result=artifact-from-build", "version=1.2.3-parity", "cached=dependency-from-cache"],
    [SERVICE_JOB]: ["page=served-by-web"],
    summary: ["summary=checked 1.2.3-parity", "only-check-artifacts"],
  },
  artifacts: {
    build: {
      "archive:out/result.txt": "artifact-from-build\n",
      dotenv: "BUILD_VERSION=1.2.3-parity\n",
    },
    check: { "archive:out/check.txt": "checked 1.2.3-parity\n" },
  },
  caches: {
    "parity-deps-non_protected.zip": { "vendor/dep.txt": "dependency-from-cache\n" },
  },
};

/** What the shell executor supports of the pipeline: all but the job with a service. */
function withoutServiceJob(observed: Observed): Observed {
  const { [SERVICE_JOB]: _lines, ...lines } = observed.lines;
  const { [SERVICE_JOB]: _artifacts, ...artifacts } = observed.artifacts;
  return {
    ...observed,
    jobs: observed.jobs.filter((job) => job.name !== SERVICE_JOB),
    lines,
    artifacts,
  };
}

/**
 * Where a job's overhead goes: the runner's section headers split the time from a job's first
 * line to its script's first line (the executor's prepare; checkout, cache and artifacts; the
 * step's start).
 */
const PHASES: { name: string; until: RegExp }[] = [
  { name: "prepare executor", until: /^Preparing environment$/ },
  { name: "sources+cache+artifacts", until: /^Executing "step_script" stage of the job script$/ },
  { name: "step start", until: new RegExp(`^${MARK} `) },
];

const cleanupDirs: string[] = [];
after(() => {
  for (const dir of cleanupDirs) rmSync(dir, { recursive: true, force: true });
});

/** Commits the pipeline in a new repository and runs `conveyor run ARGS` there. */
async function runPipeline(args: string[]): Promise<RunOutput> {
  const repo = repository({ ".gitlab-ci.yml": PIPELINE });
  cleanupDirs.push(repo);
  const scratch = mkdtempSync(join(tmpdir(), "conveyor-parity-"));
  cleanupDirs.push(scratch);
  const reportFile = join(scratch, "report.json");
  const started = Date.now();
  const child = spawn(process.execPath, [CONVEYOR_BIN, "run", "--report", reportFile, ...args], {
    cwd: repo,
  });
  // Each line of output with the time it arrived.
  const lines: { at: number; text: string }[] = [];
  let partial = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    const at = Date.now();
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) lines.push({ at, text: part });
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const wallMs = Date.now() - started;
  const output = `${lines.map((line) => line.text).join("\n")}\n${partial}\n${stderr}`;
  assert.ok(existsSync(reportFile), `no report written:\n${output}`);
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as RunReport;

  const jobLines: Record<string, string[]> = {};
  const firstLine = new Map<string, number>();
  const firstMarked = new Map<string, number>();
  const phaseMs: Record<string, number[]> = {};
  /** Per job, the time the last phase ended and the index of the next one. */
  const phaseAt = new Map<string, { at: number; next: number }>();
  for (const { at, text } of lines) {
    const line = /^(\S+) +\| (.*)$/.exec(text);
    if (!line) continue;
    const [, job = "", rest = ""] = line;
    if (!firstLine.has(job)) firstLine.set(job, at);
    const phase = phaseAt.get(job) ?? { at, next: 0 };
    const current = PHASES[phase.next];
    if (current?.until.test(rest)) {
      (phaseMs[current.name] ??= []).push(at - phase.at);
      phaseAt.set(job, { at, next: phase.next + 1 });
    } else if (!phaseAt.has(job)) {
      phaseAt.set(job, phase);
    }
    if (!rest.startsWith(`${MARK} `)) continue;
    if (!firstMarked.has(job)) firstMarked.set(job, at);
    (jobLines[job] ??= []).push(rest.slice(MARK.length + 1));
  }
  const overheadMs: Record<string, number> = {};
  for (const [job, at] of firstMarked) overheadMs[job] = at - firstLine.get(job)!;

  const pipelineDir = /Artifacts and logs: (\S+)\/$/m.exec(output)?.[1];
  assert.ok(pipelineDir, output);
  return {
    code,
    output,
    pid: child.pid!,
    overheadMs,
    phaseMs,
    wallMs,
    observed: {
      status: report.status,
      jobs: report.jobs.map((job) => ({
        name: job.name,
        stage: job.stage,
        status: job.status,
        allow_failure: job.allow_failure,
        ...(job.exit_code !== undefined ? { exit_code: job.exit_code } : {}),
      })),
      lines: jobLines,
      artifacts: await jobArtifacts(join(repo, pipelineDir, "jobs")),
      caches: await cacheArchives(join(repo, ".conveyor", "cache")),
    },
  };
}

/** The files of a zip archive (directories left out), by path. */
async function zipFiles(file: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readZipEntries(file)) {
    if (entry.name.endsWith("/")) continue;
    files[entry.name] = (await readEntry(file, entry)).toString("utf8");
  }
  return files;
}

/** Each job's artifacts as `conveyor run` keeps them (`jobs/<id>/artifacts.json`). */
async function jobArtifacts(jobsDir: string): Promise<Observed["artifacts"]> {
  const out: Observed["artifacts"] = {};
  for (const id of readdirSync(jobsDir)) {
    const index = join(jobsDir, id, "artifacts.json");
    if (!existsSync(index)) continue;
    const listed = JSON.parse(readFileSync(index, "utf8")) as {
      job_name: string;
      artifacts: { artifact_type: string; file: string }[];
    };
    const files: Record<string, string> = {};
    for (const artifact of listed.artifacts) {
      const file = join(jobsDir, id, artifact.file);
      if (artifact.artifact_type === "archive") {
        for (const [path, text] of Object.entries(await zipFiles(file))) {
          files[`archive:${path}`] = text;
        }
      } else if (artifact.artifact_type === "dotenv") {
        files.dotenv = gunzipSync(readFileSync(file)).toString("utf8");
      } else {
        files[artifact.artifact_type] = "(present)";
      }
    }
    out[listed.job_name] = files;
  }
  return out;
}

async function cacheArchives(cacheDir: string): Promise<Observed["caches"]> {
  const out: Observed["caches"] = {};
  if (!existsSync(cacheDir)) return out;
  for (const name of readdirSync(cacheDir)) {
    if (name.endsWith(".zip")) out[name] = await zipFiles(join(cacheDir, name));
  }
  return out;
}

/** Asserts a run's results are the expected ones (for the shell: those it supports). */
function assertExpected(executor: ExecutorName, run: RunOutput): void {
  const expected = executor === "shell" ? withoutServiceJob(EXPECTED) : EXPECTED;
  assert.equal(run.code, 0, run.output);
  assert.deepEqual(run.observed, expected, run.output);
}

const runs = new Map<ExecutorName, RunOutput>();

/** The Docker engine, or why the Docker parts do not run. */
async function dockerEngine(): Promise<Engine | string> {
  try {
    return await connectTestEngine();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const engine = await dockerEngine();

describe("one pipeline on the shell, docker and kubernetes executors", () => {
  test("shell executor: the jobs it supports (no image, no services) give the expected results", async () => {
    const run = await runPipeline([]);
    assertExpected("shell", run);
    assert.doesNotMatch(run.output, new RegExp(`^${SERVICE_JOB} +\\|`, "m"));
    runs.set("shell", run);
  });

  if (typeof engine === "string") {
    const title = "docker executor: the pipeline gives the expected results";
    if (process.env[REQUIRE_DOCKER_ENV] === "1") {
      test(title, () => assert.fail(`${REQUIRE_DOCKER_ENV}=1 but ${engine}`));
    } else {
      test(
        title,
        {
          skip: `no Docker engine answers (set ${REQUIRE_DOCKER_ENV}=1 to fail instead): ${engine}`,
        },
        () => {},
      );
    }
  } else {
    test("docker executor: the pipeline gives the expected results and leaves no container", async () => {
      await ensureTestImages(engine);
      let pid: number | undefined;
      try {
        const run = await runPipeline([
          "--executor",
          "docker",
          "--var",
          `BUSYBOX_IMAGE=${TEST_BUSYBOX_IMAGE}`,
          "--var",
          "PARITY_SERVICES=yes",
        ]);
        pid = run.pid;
        assertExpected("docker", run);
        assert.match(
          run.output,
          new RegExp(`Using Docker executor with image ${TEST_BUSYBOX_IMAGE}`),
        );
        assert.deepEqual(await labelledResources(engine, { ownerPid: run.pid }), {
          containers: [],
          networks: [],
        });
        runs.set("docker", run);
      } finally {
        if (pid !== undefined) await removeLabelledResources(engine, { ownerPid: pid });
      }
    });
  }

  if (clusterAvailable("kubernetes executor: the pipeline gives the expected results")) {
    test("kubernetes executor: the pipeline gives the expected results and leaves no pod", async () => {
      const namespace: TestNamespace = await createTestNamespace("parity");
      try {
        const run = await runPipeline([
          "--executor",
          "kubernetes",
          "--kubernetes-namespace",
          namespace.name,
          "--var",
          `BUSYBOX_IMAGE=${K8S_IMAGE}`,
          "--var",
          "PARITY_SERVICES=yes",
        ]);
        assertExpected("kubernetes", run);
        assert.match(run.output, new RegExp(`Using Kubernetes namespace: ${namespace.name}\\n`));
        assert.deepEqual(await podsLeft(namespace, run.pid), []);
        runs.set("kubernetes", run);
      } finally {
        await namespace.remove();
      }
    });
  }

  test("the executors that ran agree with each other, and the per-job overhead is reported", (t) => {
    const ran = [...runs.keys()];
    if (ran.length < 2) {
      t.skip(`only ${ran.join(", ") || "no executor"} ran: nothing to compare`);
      return;
    }
    const shell = runs.get("shell");
    for (const [name, run] of runs) {
      if (name === "shell" || !shell) continue;
      // The shell supports all but the service job: on those, it and the container executors agree.
      assert.deepEqual(withoutServiceJob(run.observed), shell.observed, `${name} vs shell`);
    }
    const docker = runs.get("docker");
    const kubernetes = runs.get("kubernetes");
    if (docker && kubernetes) assert.deepEqual(kubernetes.observed, docker.observed);

    for (const [name, run] of runs) {
      const figures = Object.entries(run.overheadMs)
        .map(([job, ms]) => `${job} ${ms}`)
        .join(", ");
      const values = Object.values(run.overheadMs).sort((a, b) => a - b);
      const median = values[Math.floor(values.length / 2)];
      const phases = PHASES.map(({ name: phase }) => {
        const spent = [...(run.phaseMs[phase] ?? [])].sort((a, b) => a - b);
        return `${phase} ${spent[Math.floor(spent.length / 2)] ?? "?"}`;
      }).join(", ");
      t.diagnostic(
        `${name}: job's first line → script's first line (ms): ${figures}; median ${median} ` +
          `(medians: ${phases}); whole pipeline ${run.wallMs} ms`,
      );
    }
  });
});

/** Pods the run's executor labelled that are still there once deletions had time to end. */
async function podsLeft(namespace: TestNamespace, pid: number): Promise<string[]> {
  const labelSelector = `${LABELS.managed}=true,${LABELS.ownerPid}=${pid}`;
  const until = Date.now() + GONE_TIMEOUT_MS;
  for (;;) {
    const pods = await namespace.core.listNamespacedPod({
      namespace: namespace.name,
      labelSelector,
    });
    const names = pods.items.map((pod) => pod.metadata!.name!);
    if (names.length === 0 || Date.now() > until) return names;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
