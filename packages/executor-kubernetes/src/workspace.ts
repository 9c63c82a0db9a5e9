/**
 * The job's build directory between this host and the pod (the runner's WorkspaceTransfer), as
 * tar streams over the exec API into and out of the helper container, which mounts the same
 * emptyDir as the build container; so job images without tar work too (gitlab-runner's
 * Kubernetes executor also does its file work in the helper container).
 * - `toJob`: the pod's directory is emptied, then the host directory is packed here
 *   (tar-fs) and unpacked there (`tar -x`) — afterwards the pod holds exactly what the host holds.
 * - `fromJob`: the pod packs its directory (`tar -c`), unpacked here into a new directory beside
 *   the host one, which then takes its place — afterwards the host holds exactly what the pod
 *   holds, files the job deleted included, and a transfer that fails leaves the host as it was.
 * Owners, modes and times travel with the files; symbolic links are kept as they are (as in a
 * bind mount, a link may point anywhere), special files are skipped.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { extract, type ExtractOptions, pack } from "tar-fs";
import { shellQuote, type WorkspaceTransfer } from "@conveyor/runner";
import type { PodExec } from "./exec.js";
import { JOB_BUILDS_DIR } from "./options.js";
import { HELPER_CONTAINER } from "./pod-spec.js";

export interface PodRef {
  namespace: string;
  pod: string;
}

/** Longest stderr kept for an error message. */
const STDERR_LIMIT = 4096;

export class TarWorkspace implements WorkspaceTransfer {
  constructor(
    private readonly exec: PodExec,
    private readonly target: PodRef,
    private readonly hostBuildsDir: string,
    private readonly jobBuildsDir: string = JOB_BUILDS_DIR,
  ) {}

  async toJob(signal: AbortSignal): Promise<void> {
    await mkdir(this.hostBuildsDir, { recursive: true });
    const dir = shellQuote(this.jobBuildsDir);
    const script = `cd ${dir} && rm -rf ./..?* ./.[!.]* ./* && tar -x -f -`;
    const source = pack(this.hostBuildsDir, { strict: false });
    const stderr = new Collector();
    try {
      const result = await this.exec.run({
        ...this.#helper(),
        command: ["sh", "-c", script],
        stdin: source as AsyncIterable<Buffer>,
        stderr: (chunk) => stderr.add(chunk),
        signal,
      });
      if (result.aborted) throw new Error("the transfer was canceled");
      if (result.exitCode !== 0) {
        throw new Error(
          `unpacking in the pod failed: ${result.error ?? `tar exited with code ${result.exitCode}`}${stderr.suffix()}`,
        );
      }
    } finally {
      source.destroy();
    }
  }

  async fromJob(signal: AbortSignal): Promise<void> {
    const incoming = join(
      dirname(this.hostBuildsDir),
      `.${basename(this.hostBuildsDir)}.from-job-${randomBytes(4).toString("hex")}`,
    );
    await mkdir(incoming, { recursive: true });
    try {
      await this.#receive(incoming, signal);
      const old = `${incoming}.old`;
      await rename(this.hostBuildsDir, old).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      await rename(incoming, this.hostBuildsDir);
      await rm(old, { recursive: true, force: true });
    } finally {
      await rm(incoming, { recursive: true, force: true });
    }
  }

  async #receive(into: string, signal: AbortSignal): Promise<void> {
    // tar-fs 3 option, missing from @types/tar-fs: keep links that point outside the directory.
    const options = { strict: false, validateSymlinks: false } as ExtractOptions;
    const sink = extract(into, options);
    const stop = new AbortController();
    let sinkError: Error | undefined;
    sink.on("error", (error: Error) => {
      sinkError ??= error;
      stop.abort();
    });
    const finished = new Promise<void>((resolve) => {
      sink.once("finish", resolve);
      sink.once("close", resolve);
      sink.once("error", () => resolve());
    });
    const stderr = new Collector();
    const result = await this.exec.run({
      ...this.#helper(),
      command: ["tar", "-c", "-f", "-", "-C", this.jobBuildsDir, "."],
      stdoutSink: sink,
      stderr: (chunk) => stderr.add(chunk),
      signal: AbortSignal.any([signal, stop.signal]),
    });
    if (!sinkError) sink.end(Buffer.alloc(0));
    await finished;
    if (sinkError) throw new Error(`unpacking on this host failed: ${sinkError.message}`);
    if (result.aborted) throw new Error("the transfer was canceled");
    if (result.exitCode !== 0) {
      throw new Error(
        `packing in the pod failed: ${result.error ?? `tar exited with code ${result.exitCode}`}${stderr.suffix()}`,
      );
    }
  }

  #helper() {
    return { namespace: this.target.namespace, pod: this.target.pod, container: HELPER_CONTAINER };
  }
}

/** The start of a command's stderr, for an error message. */
class Collector {
  #chunks: Buffer[] = [];
  #size = 0;

  add(chunk: Buffer): void {
    if (this.#size >= STDERR_LIMIT) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  suffix(): string {
    const text = Buffer.concat(this.#chunks).toString("utf8").slice(0, STDERR_LIMIT).trim();
    return text ? `: ${text}` : "";
  }
}
