/**
 * The download and upload stages as the runner core calls them, with the archive code (zip
 * reading and writing, globbing) loaded on the first job that has artifacts to move: most jobs
 * have none, and a short command should not pay for loading it.
 */
import type { DownloadArtifactsOptions, UploadArtifactsOptions } from "./transfer.js";

export { ArtifactError } from "./errors.js";

export async function downloadArtifacts(options: DownloadArtifactsOptions): Promise<void> {
  return (await import("./transfer.js")).downloadArtifacts(options);
}

export async function uploadArtifacts(options: UploadArtifactsOptions): Promise<void> {
  return (await import("./transfer.js")).uploadArtifacts(options);
}
