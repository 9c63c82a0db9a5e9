/**
 * One artifact entry's file as the runner uploads it (commands/helpers/artifacts_uploader.go):
 * the file name (`<name>.zip`, `<name>.gz`, or the bare name for raw; base name `default` when
 * the job gave none) and the content in the entry's `artifact_format`.
 */
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobArtifact } from "@conveyor/protocol";
import { createGzip } from "./gzip.js";
import { createZip } from "./zip-write.js";

/** The upload's file name: artifactFilename() in the runner. */
export function artifactFilename(name: string, format: JobArtifact["artifact_format"]): string {
  let base = name.replace(/\/+$/, "");
  base = base.slice(base.lastIndexOf("/") + 1);
  if (base === "" || base === ".") base = "default";
  if (format === "zip") return `${base}.zip`;
  if (format === "gzip") return `${base}.gz`;
  return base;
}

export interface WriteArchiveOptions {
  format: JobArtifact["artifact_format"];
  baseDir: string;
  files: string[];
  output: string;
  log?: (line: string) => void;
}

/** Writes `output` in the requested format from the collected files. */
export async function writeArchive(options: WriteArchiveOptions): Promise<void> {
  const { format, baseDir, files, output, log } = options;
  if (format === "gzip") {
    await createGzip({ baseDir, files, output, ...(log ? { log } : {}) });
  } else if (format === "raw") {
    if (files.length > 1) throw new Error("only one file can be sent as raw");
    await copyFile(join(baseDir, files[0]!), output);
  } else {
    await createZip({ baseDir, files, output, ...(log ? { log } : {}) });
  }
}
