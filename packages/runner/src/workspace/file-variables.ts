/**
 * File-type variables on this host: each value written to `<project dir>.tmp/<KEY>` before the
 * job's scripts run and removed in the cleanup stage (gitlab-runner `shells/bash.go` `Variable`
 * for `File` variables, `shells/abstract.go` `writeCleanupScript`; docs:
 * https://docs.gitlab.com/ci/variables/#use-file-type-cicd-variables).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const SAFE_KEY = /^[A-Za-z0-9_]+$/;

export interface FileVariable {
  key: string;
  value: string;
}

export async function writeFileVariables(hostTmpDir: string, files: readonly FileVariable[]) {
  if (files.length === 0) return;
  await mkdir(hostTmpDir, { recursive: true });
  for (const file of files) {
    if (!SAFE_KEY.test(file.key)) continue; // GitLab keys are [A-Za-z0-9_]+
    await writeFile(join(hostTmpDir, file.key), file.value);
  }
}

/** Removes the files; never throws. */
export async function removeFileVariables(hostTmpDir: string, files: readonly FileVariable[]) {
  for (const file of files) {
    if (!SAFE_KEY.test(file.key)) continue;
    await rm(join(hostTmpDir, file.key), { force: true }).catch(() => undefined);
  }
}
