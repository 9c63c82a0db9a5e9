/**
 * Job artifacts: collecting files by GitLab's rules, writing zip/gzip/raw archives, and the
 * runner's download and upload stages against an ArtifactStore.
 */
export { artifactFilename, writeArchive, type WriteArchiveOptions } from "./archive.js";
export { collectArtifactFiles, type CollectOptions } from "./collect.js";
export { cleanPath, compileGlob, glob, GlobPatternError, splitPattern } from "./glob.js";
export { createGzip, gunzipMembers, type CreateGzipOptions, type GzipMember } from "./gzip.js";
export {
  ArtifactError,
  artifactWhenMatches,
  downloadArtifacts,
  uploadArtifacts,
  type DownloadArtifactsOptions,
  type UploadArtifactsOptions,
} from "./transfer.js";
export {
  extractZip,
  readEntry,
  readZipEntries,
  ZipError,
  type ExtractZipOptions,
  type ZipEntry,
} from "./zip-read.js";
export { createZip, type CreateZipOptions } from "./zip-write.js";
