/**
 * The `info` object a runner sends with register, verify, jobs/request and every job update
 * (runner-protocol.md §2 "Shared object info", §3.12 "Runner-announced info.features"). Only
 * features Conveyor's runner core really supports are announced: GitLab refuses jobs needing a
 * feature the runner lacks (`runner_unsupported`), so announcing more would break jobs, and
 * announcing less would make GitLab drop jobs it could run (§8.2 item 3).
 */

/** §2 `info`. */
export interface RunnerInfo {
  name: string;
  version: string;
  revision: string;
  /** Go `GOOS` spelling: `linux`, `darwin`, `windows`, … */
  platform: string;
  /** Go `GOARCH` spelling: `amd64`, `arm64`, … */
  architecture: string;
  executor: string;
  shell: string;
  features: Record<string, boolean>;
  config?: { gpus: string };
}

/** Capabilities of the runner core and the network client, whatever the executor (§3.12). */
const CORE_FEATURES = [
  "variables",
  "artifacts",
  "upload_multiple_artifacts",
  "upload_raw_artifacts",
  "artifacts_exclude",
  "cache",
  "fallback_cache_keys",
  "refspecs",
  "masking",
  "raw_variables",
  "multi_build_steps",
  "return_exit_code",
  // The network client: 412 rewind, output checksum and size, cancel and graceful cancel.
  "trace_reset",
  "trace_checksum",
  "trace_size",
  "cancelable",
  "cancel_gracefully",
] as const;

/** What container executors add: images, services and their options (§3.12, §3.5). */
const CONTAINER_FEATURES = [
  "image",
  "services",
  "service_variables",
  "service_multiple_aliases",
  "image_executor_opts",
  "service_executor_opts",
] as const;

/** `info.features` for an executor (`shell`, `docker`, …). */
export function featuresFor(executor: string): Record<string, boolean> {
  const features: Record<string, boolean> = {};
  for (const name of CORE_FEATURES) features[name] = true;
  const container = executor === "docker" || executor === "kubernetes";
  for (const name of CONTAINER_FEATURES) features[name] = container;
  // The shell executor reuses one builds directory between jobs (§3.12 `shared`).
  features.shared = executor === "shell";
  return features;
}

const GO_OS: Record<string, string> = { win32: "windows", sunos: "solaris" };
const GO_ARCH: Record<string, string> = { x64: "amd64", ia32: "386", arm: "arm", arm64: "arm64" };

export interface RunnerInfoInput {
  version: string;
  revision?: string;
  executor: string;
  shell: string;
}

/** The `info` object of this process for one configured runner. */
export function runnerInfo(input: RunnerInfoInput): RunnerInfo {
  return {
    name: "conveyor-runner",
    version: input.version,
    revision: input.revision ?? "unknown",
    platform: GO_OS[process.platform] ?? process.platform,
    architecture: GO_ARCH[process.arch] ?? process.arch,
    executor: input.executor,
    shell: input.shell,
    features: featuresFor(input.executor),
    config: { gpus: "" },
  };
}
