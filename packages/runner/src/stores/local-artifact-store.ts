/**
 * Job artifacts on the local disk, one folder per job under the pipeline's directory:
 *
 *   <root>/jobs/<job id>/artifacts.zip      the `archive` entry (artifacts:paths/untracked)
 *   <root>/jobs/<job id>/<type><ext>        each report: `.gz` for gzip (junit.gz, dotenv.gz),
 *                                           `.zip` for zip, the name's extension for raw
 *   <root>/jobs/<job id>/artifacts.json     what is stored, with `expire_in` as given
 *
 * `root` is the pipeline's folder, e.g. `.conveyor/pipelines/<pipeline id>`. Nothing is deleted
 * when it expires; `expire_in` is only recorded. Files and metadata are written atomically.
 */
import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import type { JobArtifact, JobDependency, JobPayload } from "@conveyor/protocol";
import type { ArtifactStore } from "../ports.js";
import { replaceWithContent, replaceWithCopy } from "./atomic.js";

export interface StoredArtifact {
  /** `archive`, or the report type (`junit`, `dotenv`, …). */
  artifact_type: string;
  artifact_format: JobArtifact["artifact_format"];
  /** The entry's `name` (archive name, or the report's default file name). */
  name: string;
  /** File name inside the job's folder. */
  file: string;
  /** Absolute path of the stored file. */
  path: string;
  /** `artifacts:expire_in` as written, or null. */
  expire_in: string | null;
  size: number;
  /** ISO 8601 time of the upload. */
  created_at: string;
}

interface Metadata {
  job_id: number;
  job_name: string;
  pipeline_id: number;
  artifacts: Omit<StoredArtifact, "path">[];
}

const METADATA = "artifacts.json";

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  /** Metadata read or written by this store, so that asking again costs no file read. */
  readonly #metadata = new Map<number, Metadata | undefined>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The folder holding one job's artifacts. */
  jobDir(jobId: number): string {
    if (!Number.isSafeInteger(jobId) || jobId < 0) throw new Error(`invalid job id ${jobId}`);
    return join(this.root, "jobs", String(jobId));
  }

  /** The stored file name for an entry. */
  static fileName(artifact: Pick<JobArtifact, "artifact_type" | "artifact_format" | "name">) {
    const type = artifact.artifact_type || "archive";
    if (type === "archive") return "artifacts.zip";
    const safeType = type.replace(/[^A-Za-z0-9_.-]/g, "_");
    if (artifact.artifact_format === "zip") return `${safeType}.zip`;
    if (artifact.artifact_format === "gzip") return `${safeType}.gz`;
    return `${safeType}${extname(artifact.name ?? "").replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  }

  async upload(job: JobPayload, artifact: JobArtifact, file: string): Promise<void> {
    const dir = this.jobDir(job.id);
    const name = LocalArtifactStore.fileName(artifact);
    await replaceWithCopy(file, join(dir, name));
    const { size } = await stat(join(dir, name));
    const metadata = (await this.readMetadata(job.id)) ?? {
      job_id: job.id,
      job_name: job.job_info.name,
      pipeline_id: job.job_info.pipeline_id,
      artifacts: [],
    };
    const type = artifact.artifact_type || "archive";
    metadata.artifacts = metadata.artifacts.filter((a) => a.artifact_type !== type);
    metadata.artifacts.push({
      artifact_type: type,
      artifact_format: artifact.artifact_format,
      name: artifact.name,
      file: name,
      expire_in: artifact.expire_in ?? null,
      size,
      created_at: new Date().toISOString(),
    });
    await replaceWithContent(join(dir, METADATA), `${JSON.stringify(metadata, null, 2)}\n`);
    this.#metadata.set(job.id, metadata);
  }

  /** The dependency's `artifacts.zip`, when that job stored one. */
  async download(_job: JobPayload, dependency: JobDependency): Promise<string | undefined> {
    const file = join(this.jobDir(dependency.id), "artifacts.zip");
    try {
      return (await stat(file)).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  }

  /** Everything stored for the job (empty when nothing was). */
  async list(jobId: number): Promise<StoredArtifact[]> {
    const metadata = await this.readMetadata(jobId);
    if (!metadata) return [];
    const dir = this.jobDir(jobId);
    return metadata.artifacts.map((a) => ({ ...a, path: join(dir, a.file) }));
  }

  /** The stored file of one type (`archive`, `junit`, `dotenv`, …), or undefined. */
  async fileFor(jobId: number, type: string): Promise<string | undefined> {
    return (await this.list(jobId)).find((a) => a.artifact_type === type)?.path;
  }

  private async readMetadata(jobId: number): Promise<Metadata | undefined> {
    if (this.#metadata.has(jobId)) return this.#metadata.get(jobId);
    let metadata: Metadata | undefined;
    try {
      // Synchronously: a small local file, most often missing (a job that stored nothing); an
      // asynchronous read that fails costs this process several times more.
      metadata = JSON.parse(readFileSync(join(this.jobDir(jobId), METADATA), "utf8")) as Metadata;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.#metadata.set(jobId, metadata);
    return metadata;
  }
}
