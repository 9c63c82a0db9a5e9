/**
 * In-memory ArtifactStore and CacheStore for tests of the runner core and of executors: they
 * keep uploaded files by job and key in a temp directory owned by the caller.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { JobArtifact, JobDependency, JobPayload } from "@conveyor/protocol";
import type { ArtifactStore, CacheStore } from "../ports.js";

export interface StoredUpload {
  jobId: number;
  artifact: JobArtifact;
  /** A copy of the uploaded file. */
  file: string;
}

export class MemoryArtifactStore implements ArtifactStore {
  readonly uploads: StoredUpload[] = [];
  /** Archives by producing job id, for `download`. */
  readonly archives = new Map<number, string>();
  private count = 0;

  constructor(private readonly dir: string) {}

  async upload(job: JobPayload, artifact: JobArtifact, file: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const copy = join(this.dir, `upload-${++this.count}`);
    await copyFile(file, copy);
    this.uploads.push({ jobId: job.id, artifact, file: copy });
    if (artifact.artifact_type === "archive") this.archives.set(job.id, copy);
  }

  async download(_job: JobPayload, dependency: JobDependency): Promise<string | undefined> {
    return this.archives.get(dependency.id);
  }
}

export class MemoryCacheStore implements CacheStore {
  readonly entries = new Map<string, string>();
  readonly gets: string[] = [];
  private count = 0;

  constructor(private readonly dir: string) {}

  async get(key: string): Promise<string | undefined> {
    this.gets.push(key);
    return this.entries.get(key);
  }

  async put(key: string, file: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const copy = join(this.dir, `cache-${++this.count}.zip`);
    await copyFile(file, copy);
    this.entries.set(key, copy);
  }
}
