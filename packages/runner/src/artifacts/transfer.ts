/**
 * The "download artifacts" and "upload artifacts" stages of a job, as gitlab-runner runs them
 * (shells/abstract.go `downloadAllArtifacts`, `writeUploadArtifacts`; helper commands
 * artifacts-downloader and artifacts-uploader), against an ArtifactStore. Log lines follow the
 * runner's wording; tokens never appear in them.
 * Docs: https://docs.gitlab.com/ci/yaml/#artifacts , https://docs.gitlab.com/ci/yaml/#dependencies
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactWhen, JobPayload } from "@conveyor/protocol";
import type { ArtifactStore } from "../ports.js";
import { artifactFilename, writeArchive } from "./archive.js";
import { collectArtifactFiles } from "./collect.js";
import { ArtifactError } from "./errors.js";
import { extractZip } from "./zip-read.js";

export { ArtifactError };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `artifacts:when` against the job's outcome (the runner's ArtifactWhen.OnSuccess/OnFailure). */
export function artifactWhenMatches(when: ArtifactWhen | "" | undefined, succeeded: boolean) {
  if (when === "always") return true;
  if (when === "on_failure") return !succeeded;
  return succeeded;
}

export interface DownloadArtifactsOptions {
  job: JobPayload;
  projectDir: string;
  store: ArtifactStore;
  log: (line: string) => void;
}

/**
 * Fetches and extracts, in payload order, the archive of every dependency whose
 * `artifacts_file.filename` is set. Throws ArtifactError when one is missing or unreadable.
 */
export async function downloadArtifacts(options: DownloadArtifactsOptions): Promise<void> {
  const { job, projectDir, store, log } = options;
  for (const dependency of job.dependencies ?? []) {
    if (!dependency.artifacts_file?.filename) continue;
    const label = `${dependency.name} (${dependency.id})`;
    log(`Downloading artifacts for ${label}...`);
    let file: string | undefined;
    try {
      file = await store.download(job, dependency);
    } catch (err) {
      log(`ERROR: Downloading artifacts from coordinator... error  id=${dependency.id}`);
      log(`FATAL: ${message(err)}`);
      throw new ArtifactError(`downloading artifacts for ${label} failed: ${message(err)}`);
    }
    if (file === undefined) {
      log(
        `ERROR: Downloading artifacts from coordinator... not found  id=${dependency.id} responseStatus=404 Not Found`,
      );
      log("FATAL: file does not exist");
      throw new ArtifactError(`artifacts for ${label} not found`);
    }
    log(`Downloading artifacts from coordinator... ok  id=${dependency.id} responseStatus=200 OK`);
    try {
      await extractZip({ file, targetDir: projectDir, log });
    } catch (err) {
      log(`FATAL: ${message(err)}`);
      throw new ArtifactError(`extracting artifacts for ${label} failed: ${message(err)}`);
    }
  }
}

export interface UploadArtifactsOptions {
  job: JobPayload;
  projectDir: string;
  store: ArtifactStore;
  jobSucceeded: boolean;
  log: (line: string) => void;
  /** A scratch directory for the archives (each upload gets its own folder, removed after). */
  tmpDir: string;
}

/**
 * Archives and stores every `job.artifacts` entry whose `when` matches the outcome. An entry
 * matching no file logs "ERROR: No files to upload" and is skipped (as in the runner, not a
 * failure); a failure to write or store an archive throws ArtifactError.
 */
export async function uploadArtifacts(options: UploadArtifactsOptions): Promise<void> {
  const { job, projectDir, store, jobSucceeded, log, tmpDir } = options;
  for (const artifact of job.artifacts ?? []) {
    if (!artifactWhenMatches(artifact.when, jobSucceeded)) continue;
    const exclude = artifact.exclude ?? [];
    if (artifact.paths.length === 0 && exclude.length === 0 && !artifact.untracked) continue;
    const type = artifact.artifact_type || "archive";
    log("Uploading artifacts...");
    const files = await collectArtifactFiles({
      projectDir,
      paths: artifact.paths,
      exclude,
      untracked: artifact.untracked === true,
      log,
    });
    if (files.length === 0) {
      log("ERROR: No files to upload");
      continue;
    }
    await mkdir(tmpDir, { recursive: true });
    const dir = await mkdtemp(join(tmpDir, "artifacts-"));
    try {
      const output = join(dir, artifactFilename(artifact.name, artifact.artifact_format));
      try {
        await writeArchive({
          format: artifact.artifact_format,
          baseDir: projectDir,
          files,
          output,
          log,
        });
      } catch (err) {
        log(`FATAL: ${message(err)}`);
        throw new ArtifactError(`creating the ${type} artifacts failed: ${message(err)}`);
      }
      try {
        await store.upload(job, artifact, output);
      } catch (err) {
        log(
          `ERROR: Uploading artifacts as "${type}" to coordinator... error  error=${message(err)} id=${job.id}`,
        );
        throw new ArtifactError(`uploading the ${type} artifacts failed: ${message(err)}`);
      }
      log(
        `Uploading artifacts as "${type}" to coordinator... 201 Created  id=${job.id} responseStatus=201 Created`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
