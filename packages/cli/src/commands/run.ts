/**
 * `conveyor run [JOB...]`: the pipeline GitLab would create for the event, run on this machine
 * with GitLab's semantics (the engine's state machine, the runner core, the shell or Docker
 * executor), artifacts and caches under `.conveyor/`. Exit 0 when the pipeline succeeds
 * (allowed failures included), 1 when it does not, 2 for bad arguments or an invalid file.
 */
import { availableParallelism } from "node:os";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  cacheKeyFileLists,
  COMPLETED_STATUSES,
  type JobAttempt,
  PipelineRun,
  pipelineStatusText,
} from "@conveyor/engine";
import { planLoaded } from "@conveyor/pipeline";
import { LocalArtifactStore, LocalCacheStore } from "@conveyor/runner/core";
import { EXECUTOR_NAMES, type ExecutorName, makeExecutor } from "../executors.js";
import type { Io } from "../io.js";
import { UsageError } from "../io.js";
import { JobConsole } from "../run/job-console.js";
import { LocalDispatcher } from "../run/local-dispatcher.js";
import { localJobStarter } from "../run/local-jobs.js";
import { localRefspecs } from "../run/local-refspecs.js";
import { createRunDirectory, nextPipelineId, RUN_DIRECTORY } from "../run/run-directory.js";
import { type JobOutcomeRow, runReport, summaryTable } from "../run/run-report.js";
import { JobSelectionError, selectJobs } from "../run/select-jobs.js";
import { formatDiagnostic } from "./lint.js";
import { loadForCommand } from "./load.js";
import { EVENT_OPTIONS, eventOverrides, FILE_OPTION, usageErrors } from "./options.js";

const USAGE = `usage: conveyor run [JOB...] [--needs] [--manual JOB]... [--var KEY=VALUE]...
  [--executor shell|docker|kubernetes] [--image NAME] [--concurrency N] [--report FILE]
  [--kubernetes-namespace NS] [--working-tree] [--file FILE]
  [--branch NAME | --tag NAME] [--source SOURCE] [--changed PATH]... [--default-branch NAME]

Runs the pipeline GitLab would create for the event (default: a push of the current branch or
tag), or only the named jobs (with --needs: and the jobs they need). Jobs run on a fresh
checkout of the current commit; --working-tree copies uncommitted changes over it.
Artifacts, caches, logs and checkouts are kept in ${RUN_DIRECTORY}/ at the repository's root.

  --manual JOB       play this manual job when it becomes playable (repeatable)
  --executor NAME    shell (default), docker, or kubernetes (pods in the cluster and namespace
                     of $KUBECONFIG's current context)
  --image NAME       image for jobs without 'image:' (docker and kubernetes executors)
  --kubernetes-namespace NS
                     the kubernetes executor's namespace instead of the context's
  --concurrency N    jobs running at the same time (default: the number of CPUs, at least 2)
  --report FILE      write the jobs' statuses as JSON
`;

const RUN_OPTIONS = {
  ...FILE_OPTION,
  ...EVENT_OPTIONS,
  needs: { type: "boolean" },
  manual: { type: "string", multiple: true },
  executor: { type: "string" },
  image: { type: "string" },
  "kubernetes-namespace": { type: "string" },
  concurrency: { type: "string" },
  report: { type: "string" },
  "working-tree": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function runCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({ args, options: RUN_OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const executorName = (values.executor ?? "shell") as ExecutorName;
  if (!EXECUTOR_NAMES.includes(executorName)) {
    throw new UsageError(
      `--executor takes ${EXECUTOR_NAMES.join(", ")}, got '${values.executor ?? ""}'`,
    );
  }
  const concurrency = parseConcurrency(values.concurrency);

  const { loaded, event, compareTo, root, inRepository } = await loadForCommand({
    cwd: io.cwd,
    repository: io.repository,
    file: values.file,
    overrides: eventOverrides(values),
    remote: !values["no-remote"],
    extraCaCertsFile: io.extraCaCertsFile,
    stderr: io.stderr,
    pipelineIdFor: nextPipelineId,
  });
  const fullPlan = planLoaded(loaded, event, { compareTo });
  if (fullPlan.errors.length > 0) {
    for (const d of fullPlan.errors) io.stderr.write(`${formatDiagnostic(d)}\n`);
    return 2;
  }
  if (!fullPlan.created) {
    io.stderr.write(`conveyor run: no pipeline: ${fullPlan.reason ?? "not created"}\n`);
    return 1;
  }
  if (!inRepository || /^0+$/.test(event.commit.sha)) {
    throw new UsageError(
      "jobs run on a checkout of a commit: run inside a git repository with one",
    );
  }
  let plan;
  try {
    plan = selectJobs(fullPlan, positionals, values.needs === true);
  } catch (error) {
    if (error instanceof JobSelectionError) throw new UsageError(error.message);
    throw error;
  }

  // A git question whose answer is needed only when the first job starts: asked while the rest
  // is set up.
  const refspecsAnswer = localRefspecs(root, event);
  const dir = await createRunDirectory(root, event.pipelineId ?? 1);
  const executor = await makeExecutor({
    name: executorName,
    ...(values.image ? { image: values.image } : {}),
    ...(values["kubernetes-namespace"]
      ? { kubernetes: { namespace: values["kubernetes-namespace"] } }
      : {}),
  });
  const artifacts = new LocalArtifactStore(dir.pipelineDir);
  const console = new JobConsole(io.stdout);
  console.setJobNames(plan.jobs.map((job) => job.name));
  let nextJobId = 1;
  const run = new PipelineRun(plan, { ids: () => nextJobId++ });
  const clock = () => Date.now();
  const digests = await cacheDigests(plan.jobs, root, event.commit.sha);
  const refspecs = await refspecsAnswer;
  const dispatcher = new LocalDispatcher({
    run,
    concurrency,
    clock,
    play: new Set(values.manual ?? []),
    startJob: localJobStarter({
      event,
      run,
      executor,
      artifacts,
      cache: new LocalCacheStore(dir.cacheRoot),
      buildsRoot: dir.buildsRoot,
      repoUrl: root,
      ...(values["working-tree"] ? { workingTree: root } : {}),
      ...(refspecs ? { refspecs } : {}),
      console,
      clock,
      filesDigest: (files) => digests.get(files.join("\0")),
    }),
    // The progress line is for a terminal; elsewhere it is not worth counting the jobs per event.
    ...(io.stdout.isTTY ? { onChange: () => console.progress(progressLine(run, dispatcher)) } : {}),
  });

  console.note(
    `Pipeline #${dir.pipelineId} for ${event.source} of ${event.ref.kind} ${event.ref.name} ` +
      `(${event.commit.sha.slice(0, 8)}): ${plan.jobs.length} jobs, ${executorName} executor`,
  );
  const stopSignals = interruptHandlers(dispatcher, console);
  try {
    await dispatcher.start();
  } finally {
    stopSignals();
    console.progress("");
  }

  const rows = outcomeRows(run.jobs);
  const status = run.status;
  const report = runReport(status, rows);
  await writeFile(join(dir.pipelineDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  if (values.report) {
    await writeFile(resolve(io.cwd, values.report), `${JSON.stringify(report, null, 2)}\n`);
  }
  io.stdout.write(`\n${summaryTable(rows)}`);
  for (const line of await testSummaries(run.jobs, artifacts)) io.stdout.write(`${line}\n`);
  io.stdout.write(`${closingLine(run, dir.pipelineDir, root)}\n`);
  return status === "success" ? 0 : 1;
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return Math.max(2, availableParallelism());
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--concurrency takes a positive whole number, got '${value}'`);
  }
  return n;
}

/**
 * `cache:key:files` digests from git at the pipeline's commit, computed before the run (the
 * payload builder is pure and asks synchronously), keyed by the file list joined with NUL.
 */
async function cacheDigests(
  jobs: readonly { definition: Record<string, unknown> }[],
  repoDir: string,
  sha: string,
): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const job of jobs) {
    for (const files of cacheKeyFileLists(job.definition.cache)) {
      const id = files.join("\0");
      if (out.has(id)) continue;
      // Loaded only for a pipeline with such keys (the runner's main entry: globbing, hashing).
      const { cacheFilesDigest } = await import("@conveyor/runner");
      out.set(id, await cacheFilesDigest({ repoDir, sha, files }));
    }
  }
  return out;
}

function progressLine(run: PipelineRun, dispatcher: LocalDispatcher): string {
  const done = run.jobs.filter((job) => COMPLETED_STATUSES.has(job.status)).length;
  return `[${done}/${run.jobs.length} done, ${dispatcher.runningCount} running, ${dispatcher.queuedCount} queued]`;
}

/** First Ctrl-C cancels as GitLab's Cancel button (after_script runs); a second one aborts. */
function interruptHandlers(dispatcher: LocalDispatcher, console: JobConsole): () => void {
  let interrupts = 0;
  const handler = () => {
    interrupts += 1;
    if (interrupts === 1) {
      console.note("Canceling the pipeline (interrupt again to stop at once)");
      dispatcher.cancel();
    } else {
      console.note("Stopping every job now");
      dispatcher.abort();
    }
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.removeListener("SIGINT", handler);
    process.removeListener("SIGTERM", handler);
  };
}

function outcomeRows(jobs: readonly JobAttempt[]): JobOutcomeRow[] {
  return jobs.map((job) => ({
    name: job.name,
    stage: job.stage,
    status: job.status,
    allowFailure: job.allowFailure,
    // The runner reports an exit code only for a failed script; a job that succeeded exited 0.
    ...(job.exitCode !== undefined
      ? { exitCode: job.exitCode }
      : job.status === "success"
        ? { exitCode: 0 }
        : {}),
    ...(job.startedAt !== undefined && job.finishedAt !== undefined
      ? { durationS: (job.finishedAt - job.startedAt) / 1000 }
      : {}),
  }));
}

/** One line per job with a JUnit report: GitLab's test summary counts. */
async function testSummaries(
  jobs: readonly JobAttempt[],
  artifacts: LocalArtifactStore,
): Promise<string[]> {
  const lines: string[] = [];
  for (const job of jobs) {
    const file = await artifacts.fileFor(job.id, "junit");
    if (!file) continue;
    // The report parsers load only when a job stored a JUnit report.
    const { readJunitReport } = await import("@conveyor/runner");
    const c = await readJunitReport(file, { suiteName: job.name });
    if (c.suite_error) {
      lines.push(`Tests of ${job.name}: ${c.suite_error}`);
      continue;
    }
    lines.push(
      `Tests of ${job.name}: ${c.total} total, ${c.success} passed, ${c.failed} failed, ` +
        `${c.error} errors, ${c.skipped} skipped`,
    );
  }
  return lines;
}

function closingLine(run: PipelineRun, pipelineDir: string, root: string): string {
  const status = pipelineStatusText(run.status, run.warnings);
  const blocked = run.jobs.filter((job) => job.status === "manual" && !job.allowFailure);
  const hint =
    run.status === "manual" && blocked.length > 0
      ? ` — waiting for ${blocked.map((job) => job.name).join(", ")} (play with --manual JOB)`
      : "";
  const where = pipelineDir.startsWith(root) ? pipelineDir.slice(root.length + 1) : pipelineDir;
  return `Pipeline ${status}${hint}. Artifacts and logs: ${where}/`;
}
