/**
 * What the runner core needs from its surroundings. `conveyor run` plugs in the filesystem under
 * `.conveyor/`; a runner talking to a server plugs in HTTP.
 */
import type { JobArtifact, JobDependency, JobPayload } from "@conveyor/protocol";

/** The live job log. Receives bytes already masked. */
export interface TraceSink {
  write(chunk: Uint8Array): void;
}

export interface ArtifactStore {
  /** Stores one produced archive or report for the job (`artifact.artifact_type` tells which). */
  upload(job: JobPayload, artifact: JobArtifact, file: string): Promise<void>;
  /** A local file holding the dependency's archive (zip), or undefined when it has none. */
  download(job: JobPayload, dependency: JobDependency): Promise<string | undefined>;
}

export interface CacheStore {
  /** A local zip file for the key, or undefined when none is stored. */
  get(key: string): Promise<string | undefined>;
  /** Stores the zip file under the key (replacing what was there). */
  put(key: string, file: string): Promise<void>;
}
