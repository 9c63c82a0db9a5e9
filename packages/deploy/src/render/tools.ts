/**
 * The external renderers: `kubectl kustomize <dir>` and `helm template`. Both run on a private
 * copy of the set's files in a temporary directory that is removed afterwards; helm gets its
 * own empty config, cache and data directories so a user's repositories and plugins play no
 * part. Tool failures become RenderErrors carrying the tool's message, with the temporary path
 * taken out.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import type { SourceFile } from "../types.js";
import { RenderError } from "./errors.js";

/** How long one tool run may take. */
const TOOL_TIMEOUT_MS = 120_000;

/** Checks a source path: relative, no `..`, no empty parts. Returns it normalized. */
export function safeRelativePath(path: string): string {
  const normalized = posix.normalize(path.replace(/\\/g, "/"));
  if (
    normalized === "" ||
    normalized === "." ||
    normalized.startsWith("/") ||
    normalized === ".." ||
    normalized.startsWith("../") ||
    /^[A-Za-z]:/.test(normalized)
  ) {
    throw new RenderError([{ file: path, message: "is not a relative path inside the set" }]);
  }
  return normalized;
}

/** The shallowest directory (relative, "" for the root) holding one of `names`. */
export function rootHolding(
  files: readonly SourceFile[],
  names: readonly string[],
): string | undefined {
  const candidates = files
    .map((file) => safeRelativePath(file.path))
    .filter((path) => names.includes(posix.basename(path)))
    .map((path) => posix.dirname(path))
    .map((dir) => (dir === "." ? "" : dir))
    .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  return candidates[0];
}

/** Writes the files into a new temporary directory; returns it. */
async function writeTree(files: readonly SourceFile[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "conveyor-render-"));
  for (const file of files) {
    const target = join(dir, safeRelativePath(file.path));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, "utf8");
  }
  return dir;
}

interface ToolResult {
  stdout: string;
}

function run(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
  hide: string,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { env, timeout: TOOL_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          reject(new RenderError(`${what} needs \`${binary}\`, which was not found`));
          return;
        }
        const detail = (stderr || error.message)
          .split(hide + "/")
          .join("")
          .split(hide)
          .join(".")
          .trim();
        reject(new RenderError(`${what} failed: ${detail}`));
      },
    );
  });
}

/** `kubectl kustomize` on the set's kustomization; returns the rendered YAML. */
export async function kustomize(files: readonly SourceFile[], kubectl: string): Promise<string> {
  const root = rootHolding(files, ["kustomization.yaml", "kustomization.yml", "Kustomization"]);
  if (root === undefined) {
    throw new RenderError("a kustomize set needs a kustomization.yaml (none of its files is one)");
  }
  const dir = await writeTree(files);
  try {
    const target = root === "" ? dir : join(dir, root);
    return (await run(kubectl, ["kustomize", target], process.env, "kubectl kustomize", dir))
      .stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A `--set` value with helm's special characters escaped (helm's strvals parser reads `\x` as a
 * literal `x`): `,` separates pairs and `{…}`/`[…]` would make a list.
 */
export function helmSetValue(value: string): string {
  return value.replace(/[\\,{}[\]]/g, "\\$&");
}

export interface HelmRelease {
  name: string;
  namespace?: string;
}

/** `helm template` of the set's chart with `values` as `--set` pairs; returns the rendered YAML. */
export async function helmTemplate(
  files: readonly SourceFile[],
  values: Record<string, string>,
  release: HelmRelease,
  helm: string,
): Promise<string> {
  const root = rootHolding(files, ["Chart.yaml"]);
  if (root === undefined)
    throw new RenderError("a helm set needs a Chart.yaml (none of its files is one)");
  const dir = await writeTree(files);
  const home = await mkdtemp(join(tmpdir(), "conveyor-helm-home-"));
  try {
    const args = ["template", release.name, root === "" ? dir : join(dir, root)];
    args.push("--include-crds", "--skip-tests");
    if (release.namespace) args.push("--namespace", release.namespace);
    for (const key of Object.keys(values).sort()) {
      args.push("--set", `${key}=${helmSetValue(values[key] ?? "")}`);
    }
    const env = {
      ...process.env,
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_DATA_HOME: join(home, "data"),
    };
    return (await run(helm, args, env, "helm template", dir)).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }
}
