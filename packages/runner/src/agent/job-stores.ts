/**
 * The runner core's ArtifactStore and CacheStore for a job taken from a server:
 * - artifacts go to and come from the server (runner-protocol.md §2.11, §2.12) with the job's
 *   token (a dependency's own `token` when the payload gives one, §3.9);
 * - caches stay on this host (LocalCacheStore), as gitlab-runner's local cache does when no
 *   distributed cache is configured: `<cache_dir>/<project path>/<cache key>/cache.zip`
 *   (https://docs.gitlab.com/runner/configuration/advanced-configuration/#the-runners-section,
 *   `cache_dir`).
 */
import type { JobArtifact, JobDependency, JobPayload } from "@conveyor/protocol";
import type { ArtifactStore } from "../ports.js";
import type { RunnerClient } from "./client.js";

export class ServerArtifactStore implements ArtifactStore {
  constructor(
    private readonly client: RunnerClient,
    /** Where downloaded archives are written (removed by the caller after the job). */
    private readonly downloadDir: string,
    private readonly signal?: AbortSignal,
  ) {}

  async upload(job: JobPayload, artifact: JobArtifact, file: string): Promise<void> {
    await this.client.uploadArtifact(
      job.id,
      job.token,
      file,
      {
        artifactType: artifact.artifact_type || "archive",
        artifactFormat: artifact.artifact_format,
        ...(artifact.expire_in ? { expireIn: artifact.expire_in } : {}),
      },
      this.signal,
    );
  }

  async download(job: JobPayload, dependency: JobDependency): Promise<string | undefined> {
    return this.client.downloadArtifacts(
      dependency.id,
      dependency.token || job.token,
      this.downloadDir,
      this.signal,
    );
  }
}
