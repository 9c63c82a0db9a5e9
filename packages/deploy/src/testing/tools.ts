/**
 * For tests: where the repository, the seed pipelines (../shared/design/seed-pipelines) and the
 * external renderers are. kubectl is the rig's (.cache/k8s/bin, scripts/k8s/build.sh) or one on
 * PATH; helm is scripts/helm/build.sh's (.cache/helm/bin) or one on PATH.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceFile } from "../types.js";

/** The repository root: this file is packages/deploy/{src,dist}/testing/tools.{ts,js}. */
export const repoRoot: string = fileURLToPath(new URL("../../../../", import.meta.url));

export const seedsDir: string = join(repoRoot, "..", "shared", "design", "seed-pipelines");

/** Seed files as a set's source files, `path` relative to `dir` under the seeds. */
export function seedFiles(dir: string, names: readonly string[], prefix = ""): SourceFile[] {
  return names.map((name) => ({
    path: `${prefix}${name}`,
    content: readFileSync(join(seedsDir, dir, name), "utf8"),
  }));
}

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const found = dir ? executable(join(dir, name)) : undefined;
    if (found) return found;
  }
  return undefined;
}

export function kubectlBinary(): string | undefined {
  return executable(join(repoRoot, ".cache", "k8s", "bin", "kubectl")) ?? onPath("kubectl");
}

export function helmBinary(): string | undefined {
  return executable(join(repoRoot, ".cache", "helm", "bin", "helm")) ?? onPath("helm");
}
