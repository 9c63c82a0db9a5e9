/**
 * Starts one job of a local run, as a GitLab runner would after `POST /jobs/request`: builds the
 * job's payload from the planned job (the same builder the server uses), hands it to the runner
 * core with this machine's stores under `.conveyor/`, and sends the log to the console and to
 * `jobs/<id>/job.log`. The dependencies' artifacts and dotenv variables come from the jobs the
 * engine names as artifact sources.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { buildJobPayload, type PayloadDependency, type PipelineRun } from "@conveyor/engine";
import type { PipelineEvent } from "@conveyor/pipeline";
import type { JobResult } from "@conveyor/protocol";
import {
  type Executor,
  type LocalArtifactStore,
  type LocalCacheStore,
  runJob,
} from "@conveyor/runner/core";
import type { JobLaunch } from "./local-dispatcher.js";
import { CONVEYOR_VERSION } from "../version.js";
import type { JobConsole } from "./job-console.js";

export interface LocalJobsOptions {
  event: PipelineEvent;
  run: PipelineRun;
  executor: Executor;
  artifacts: LocalArtifactStore;
  cache: LocalCacheStore;
  buildsRoot: string;
  /** The repository the jobs clone (a local path). */
  repoUrl: string;
  /** Copy this working tree over each checkout (`--working-tree`). */
  workingTree?: string;
  console: JobConsole;
  clock: () => number;
  /** Refspecs for a ref the repository does not have (see local-refspecs.ts). */
  refspecs?: string[];
  /** `cache:key:files` digests, looked up before the payload is built (see cacheDigests). */
  filesDigest?: (files: string[]) => string | undefined;
}

/** A job token for the run: random, masked in the log like GitLab's `glcbt-` tokens. */
function jobToken(): string {
  return `glcbt-local-${randomBytes(16).toString("hex")}`;
}

export function localJobStarter(options: LocalJobsOptions) {
  return async (launch: JobLaunch): Promise<JobResult> => {
    const { attempt } = launch;
    const payload = buildJobPayload({
      event: options.event,
      job: attempt.job,
      jobId: attempt.id,
      token: jobToken(),
      repoUrl: options.repoUrl,
      timeoutSeconds: attempt.timeoutSeconds,
      dependencies: await dependenciesOf(options, attempt.id),
      ...(options.filesDigest ? { filesDigest: options.filesDigest } : {}),
    });
    if (options.refspecs) payload.git_info.refspecs = options.refspecs;
    const jobDir = options.artifacts.jobDir(attempt.id);
    // The job's folder and log are made and written synchronously, as Node writes a redirected
    // stdout: these small local file operations cost far less so than through the thread pool.
    mkdirSync(jobDir, { recursive: true });
    const log = openSync(join(jobDir, "job.log"), "w");
    const decoder = new TextDecoder();
    const batch = new TraceBatch((chunk) => {
      writeAll(log, chunk);
      options.console.output(attempt.name, decoder.decode(chunk, { stream: true }));
    });
    try {
      const outcome = await runJob({
        payload,
        executor: options.executor,
        trace: batch,
        artifacts: options.artifacts,
        cache: options.cache,
        buildsRoot: options.buildsRoot,
        signal: launch.signal,
        abortSignal: launch.abortSignal,
        clock: options.clock,
        concurrentId: launch.slot,
        ...(options.workingTree ? { workingTree: options.workingTree } : {}),
        runner: { name: "conveyor-local", version: CONVEYOR_VERSION },
      });
      return outcome.result;
    } finally {
      batch.flush();
      options.console.output(attempt.name, decoder.decode());
      options.console.flush(attempt.name);
      closeSync(log);
    }
  };
}

/** Writes the whole chunk (a write may take only part of it). */
function writeAll(fd: number, chunk: Uint8Array): void {
  for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
}

/**
 * A job's log on its way to the file and the console: the chunks written in one turn of the event
 * loop (the runner's lines come a few at a time, a step's output in many small pieces) go on
 * together, so that each turn costs one write to each instead of one per chunk.
 */
class TraceBatch {
  readonly #deliver: (chunk: Uint8Array) => void;
  #chunks: Uint8Array[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  constructor(deliver: (chunk: Uint8Array) => void) {
    this.#deliver = deliver;
  }

  write(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Hands on what was written so far. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const chunks = this.#chunks;
    if (chunks.length === 0) return;
    this.#chunks = [];
    this.#deliver(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }
}

/** The jobs whose artifacts this one downloads, with their stored archive and dotenv variables. */
async function dependenciesOf(
  options: LocalJobsOptions,
  jobId: number,
): Promise<PayloadDependency[]> {
  const out: PayloadDependency[] = [];
  for (const source of options.run.artifactSources(jobId)) {
    const stored = await options.artifacts.list(source.id);
    const archive = stored.find((artifact) => artifact.artifact_type === "archive");
    const dotenv = stored.find((artifact) => artifact.artifact_type === "dotenv");
    const dependency: PayloadDependency = { id: source.id, name: source.name, token: "" };
    if (archive) dependency.artifacts_file = { filename: archive.name, size: archive.size };
    if (dotenv) {
      // The report readers load with the runner's main entry, only for a job that needs them.
      const { readDotenvReport } = await import("@conveyor/runner");
      const report = await readDotenvReport(dotenv.path);
      if (report.variables.length > 0) dependency.dotenv = report.variables;
    }
    out.push(dependency);
  }
  return out;
}
