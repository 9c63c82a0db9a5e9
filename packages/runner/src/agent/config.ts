/**
 * The runner agent's configuration file, in the shape of gitlab-runner's `config.toml`
 * (https://docs.gitlab.com/runner/configuration/advanced-configuration/): global `concurrent`,
 * `check_interval`, `shutdown_timeout`; one `[[runners]]` table per registered runner with
 * `name`, `url`, `id`, `token`, `executor`, `limit`, `request_concurrency`, `builds_dir`,
 * `cache_dir`, `shell`, `output_limit`, a `[runners.docker]` table (`image`, `privileged`,
 * `services_privileged`, `volumes`, `pull_policy`, `wait_for_services_timeout`, `user`) and a
 * `[runners.kubernetes]` table (https://docs.gitlab.com/runner/executors/kubernetes/#configuration-settings:
 * `namespace`, `image`, `helper_image`, `service_account`, `image_pull_secrets`, `node_selector`,
 * `node_tolerations`, `affinity`, `privileged`, `pull_policy`, `allowed_pull_policies`, the
 * `[helper_|service_]{cpu,memory}_{request,limit}[_overwrite_max_allowed]` resources,
 * `poll_interval`, `poll_timeout`, `pod_labels`, `pod_annotations`,
 * `pod_termination_grace_period_seconds`, and `[[runners.kubernetes.volumes.<kind>]]` for `pvc`,
 * `host_path`, `config_map`, `secret`, `empty_dir`).
 * Defaults follow runner-protocol.md §6.1. Keys this module does not know are kept and written
 * back. Validation errors name the file and the field. The file holds tokens: it is written
 * atomically with mode 0600 (its folder 0700 when created).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { parse, stringify, TomlError } from "smol-toml";

export type ExecutorName = "shell" | "docker" | "kubernetes";
export type ShellName = "bash" | "sh";
export type PullPolicyName = "always" | "if-not-present" | "never";

export const EXECUTORS: readonly ExecutorName[] = ["shell", "docker", "kubernetes"];
const SHELLS: readonly ShellName[] = ["bash", "sh"];
const PULL_POLICIES: readonly PullPolicyName[] = ["always", "if-not-present", "never"];
/** https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/ */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** §6.1 defaults. */
export const DEFAULT_CONCURRENT = 1;
export const DEFAULT_CHECK_INTERVAL_SECONDS = 3;
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;

/** `[runners.docker]`. */
export interface DockerSettings {
  /** Image for jobs without `image:`. */
  image?: string;
  privileged?: boolean;
  servicesPrivileged?: boolean;
  /** `host:container[:ro|rw]` binds or `/container/path` volumes. */
  volumes?: string[];
  pullPolicy?: PullPolicyName[];
  /** Seconds. */
  waitForServicesTimeout?: number;
  user?: string;
  /** Keys not known here, written back as they were. */
  extra: Record<string, unknown>;
}

/** Requests, limits and the most a job may override them to (Kubernetes quantities). */
export interface KubernetesResourceSettings {
  cpuRequest?: string;
  cpuLimit?: string;
  memoryRequest?: string;
  memoryLimit?: string;
  cpuRequestOverwriteMaxAllowed?: string;
  cpuLimitOverwriteMaxAllowed?: string;
  memoryRequestOverwriteMaxAllowed?: string;
  memoryLimitOverwriteMaxAllowed?: string;
}

/** One `[[runners.kubernetes.volumes.<kind>]]` entry. */
export interface KubernetesVolumeSettings {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  /** `host_path` volumes: the node's path (default the mount path). */
  hostPath?: string;
  /** `config_map` and `secret` volumes: key → path. */
  items?: Record<string, string>;
  /** `empty_dir` volumes. */
  medium?: string;
  sizeLimit?: string;
}

/** `[runners.kubernetes]`. */
export interface KubernetesSettings {
  namespace?: string;
  /** Image for jobs without `image:`. */
  image?: string;
  helperImage?: string;
  serviceAccount?: string;
  imagePullSecrets?: string[];
  nodeSelector?: Record<string, string>;
  nodeTolerations?: Record<string, string>;
  /** A Kubernetes `Affinity` object, with the API's field names, passed to the pod as it is. */
  affinity?: Record<string, unknown>;
  privileged?: boolean;
  pullPolicy?: PullPolicyName[];
  allowedPullPolicies?: PullPolicyName[];
  build: KubernetesResourceSettings;
  helper: KubernetesResourceSettings;
  service: KubernetesResourceSettings;
  volumes?: {
    pvc?: KubernetesVolumeSettings[];
    hostPath?: KubernetesVolumeSettings[];
    configMap?: KubernetesVolumeSettings[];
    secret?: KubernetesVolumeSettings[];
    emptyDir?: KubernetesVolumeSettings[];
  };
  /** Seconds. */
  pollInterval?: number;
  /** Seconds. */
  pollTimeout?: number;
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  podTerminationGracePeriodSeconds?: number;
  /** Keys not known here, written back as they were. */
  extra: Record<string, unknown>;
}

/** One `[[runners]]` entry. */
export interface RunnerEntry {
  name: string;
  /** The server as the runner reaches it (`https://gitlab.example.com`). */
  url: string;
  /** The runner's id on the server, when known. */
  id?: number;
  /** The runner token (`glrt-…` or a legacy token). */
  token: string;
  /** ISO 8601. */
  tokenObtainedAt?: string;
  /** ISO 8601; absent when the token does not expire. */
  tokenExpiresAt?: string;
  executor: ExecutorName;
  /** Jobs this runner runs at once; 0 = no limit but `concurrent`. */
  limit: number;
  /** `jobs/request` calls in flight at once (§6.1); default 1. */
  requestConcurrency: number;
  buildsDir?: string;
  cacheDir?: string;
  shell?: ShellName;
  /** Log size limit in KiB (default 4096). */
  outputLimit?: number;
  docker?: DockerSettings;
  kubernetes?: KubernetesSettings;
  extra: Record<string, unknown>;
}

export interface AgentConfig {
  /** Jobs running at once across all runners. */
  concurrent: number;
  /** Seconds between job requests of a runner when the server has no job. */
  checkInterval: number;
  /** Seconds running jobs get to finish after a stop request before they are aborted. */
  shutdownTimeout: number;
  runners: RunnerEntry[];
  extra: Record<string, unknown>;
}

/** A configuration file that cannot be used; the message names the file and field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** `$CONVEYOR_RUNNER_CONFIG`, else `~/.conveyor/runner.toml`. */
export function defaultConfigPath(env: Record<string, string | undefined>, home: string): string {
  const fromEnv = env.CONVEYOR_RUNNER_CONFIG;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(home, ".conveyor", "runner.toml");
}

/** A configuration with no runners. */
export function emptyConfig(): AgentConfig {
  return {
    concurrent: DEFAULT_CONCURRENT,
    checkInterval: DEFAULT_CHECK_INTERVAL_SECONDS,
    shutdownTimeout: DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
    runners: [],
    extra: {},
  };
}

type Table = Record<string, unknown>;

const TOP_KEYS = new Set(["concurrent", "check_interval", "shutdown_timeout", "runners"]);
const RUNNER_KEYS = new Set([
  "name",
  "url",
  "id",
  "token",
  "token_obtained_at",
  "token_expires_at",
  "executor",
  "limit",
  "request_concurrency",
  "builds_dir",
  "cache_dir",
  "shell",
  "output_limit",
  "docker",
  "kubernetes",
]);
const DOCKER_KEYS = new Set([
  "image",
  "privileged",
  "services_privileged",
  "volumes",
  "pull_policy",
  "wait_for_services_timeout",
  "user",
]);

const RESOURCE_KINDS = [
  ["build", ""],
  ["helper", "helper_"],
  ["service", "service_"],
] as const;
const RESOURCE_FIELDS = [
  ["cpuRequest", "cpu_request"],
  ["cpuLimit", "cpu_limit"],
  ["memoryRequest", "memory_request"],
  ["memoryLimit", "memory_limit"],
  ["cpuRequestOverwriteMaxAllowed", "cpu_request_overwrite_max_allowed"],
  ["cpuLimitOverwriteMaxAllowed", "cpu_limit_overwrite_max_allowed"],
  ["memoryRequestOverwriteMaxAllowed", "memory_request_overwrite_max_allowed"],
  ["memoryLimitOverwriteMaxAllowed", "memory_limit_overwrite_max_allowed"],
] as const;
const KUBERNETES_STRINGS = [
  ["namespace", "namespace"],
  ["image", "image"],
  ["helperImage", "helper_image"],
  ["serviceAccount", "service_account"],
] as const;
const KUBERNETES_MAPS = [
  ["nodeSelector", "node_selector"],
  ["nodeTolerations", "node_tolerations"],
  ["podLabels", "pod_labels"],
  ["podAnnotations", "pod_annotations"],
] as const;
const VOLUME_KINDS = [
  ["pvc", "pvc"],
  ["hostPath", "host_path"],
  ["configMap", "config_map"],
  ["secret", "secret"],
  ["emptyDir", "empty_dir"],
] as const;
const KUBERNETES_KEYS = new Set<string>([
  ...KUBERNETES_STRINGS.map(([, key]) => key),
  ...KUBERNETES_MAPS.map(([, key]) => key),
  ...RESOURCE_KINDS.flatMap(([, prefix]) => RESOURCE_FIELDS.map(([, key]) => `${prefix}${key}`)),
  "image_pull_secrets",
  "affinity",
  "privileged",
  "pull_policy",
  "allowed_pull_policies",
  "poll_interval",
  "poll_timeout",
  "pod_termination_grace_period_seconds",
  "volumes",
]);

/** Reads fields of one table, throwing ConfigError naming `file` and the field. */
class Fields {
  constructor(
    private readonly file: string,
    private readonly prefix: string,
    private readonly table: Table,
  ) {}

  fail(key: string, problem: string): never {
    throw new ConfigError(`${this.file}: ${this.prefix}${key} ${problem}`);
  }

  string(key: string, required = false): string | undefined {
    const value = this.table[key];
    if (value === undefined || value === "") {
      if (required) this.fail(key, "is required");
      return undefined;
    }
    if (typeof value !== "string") this.fail(key, `must be a string, got ${show(value)}`);
    return value;
  }

  integer(key: string, min: number): number | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      this.fail(key, `must be a whole number of at least ${min}, got ${show(value)}`);
    }
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") this.fail(key, `must be true or false, got ${show(value)}`);
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], required = false): T | undefined {
    const value = this.string(key, required);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(key, `must be ${allowed.map((a) => `"${a}"`).join(" or ")}, got ${show(value)}`);
    }
    return value as T;
  }

  strings(key: string): string[] | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      this.fail(key, `must be a list of strings, got ${show(value)}`);
    }
    return value as string[];
  }

  /** A Kubernetes quantity: a string (`500m`, `1Gi`) or a number. */
  quantity(key: string): string | undefined {
    const value = this.table[key];
    if (value === undefined || value === "") return undefined;
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) return String(value);
    if (typeof value !== "string" || !QUANTITY.test(value)) {
      this.fail(key, `must be a Kubernetes quantity such as "500m" or "1Gi", got ${show(value)}`);
    }
    return value;
  }

  /** A table of strings (`node_selector`, `pod_labels`, …). */
  stringMap(key: string): Record<string, string> | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (!isTable(value) || Object.values(value).some((v) => typeof v !== "string")) {
      this.fail(key, `must be a table of strings, got ${show(value)}`);
    }
    return { ...(value as Record<string, string>) };
  }

  /** One pull policy or a list of them (gitlab-runner accepts both). */
  pullPolicies(key: string): PullPolicyName[] | undefined {
    const raw = this.table[key];
    if (raw === undefined) return undefined;
    const list = typeof raw === "string" ? [raw] : raw;
    if (
      !Array.isArray(list) ||
      list.some((p) => !(PULL_POLICIES as readonly unknown[]).includes(p))
    ) {
      this.fail(
        key,
        `must be "always", "if-not-present" or "never" (or a list of them), got ${show(raw)}`,
      );
    }
    return list as PullPolicyName[];
  }

  /** A list of tables (`[[…]]`). */
  tables(key: string): Table[] | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every(isTable)) {
      this.fail(key, `must be a list of tables ([[…]]), got ${show(value)}`);
    }
    return value as Table[];
  }

  /** A date (TOML datetime or ISO string) as ISO 8601; the zero time counts as unset. */
  date(key: string): string | undefined {
    const value = this.table[key];
    if (value === undefined || value === "") return undefined;
    const date =
      value instanceof Date ? value : typeof value === "string" ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      this.fail(key, `must be a date-time, got ${show(value)}`);
    }
    // gitlab-runner writes 0001-01-01T00:00:00Z for "no expiry".
    if (date.getUTCFullYear() <= 1) return undefined;
    return date.toISOString();
  }

  table_(key: string): Table | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (!isTable(value)) this.fail(key, `must be a table, got ${show(value)}`);
    return value;
  }
}

/** Parses and validates a configuration file's text. */
export function parseAgentConfig(text: string, file: string): AgentConfig {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError(
        `${file}:${error.line}:${error.column}: invalid TOML: ${error.message.split("\n")[0]}`,
      );
    }
    throw error;
  }
  const top = new Fields(file, "", doc);
  const concurrent = top.integer("concurrent", 1) ?? DEFAULT_CONCURRENT;
  const checkIntervalRaw = top.integer("check_interval", Number.MIN_SAFE_INTEGER);
  // §6.1: check_interval ≤ 0 means the default.
  const checkInterval =
    checkIntervalRaw === undefined || checkIntervalRaw <= 0
      ? DEFAULT_CHECK_INTERVAL_SECONDS
      : checkIntervalRaw;
  const shutdownTimeout = top.integer("shutdown_timeout", 0) ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  const rawRunners = doc.runners;
  if (rawRunners !== undefined && (!Array.isArray(rawRunners) || !rawRunners.every(isTable))) {
    top.fail("runners", "must be [[runners]] tables");
  }
  const runners = ((rawRunners as Table[] | undefined) ?? []).map((table, index) =>
    parseRunner(file, index, table),
  );
  return { concurrent, checkInterval, shutdownTimeout, runners, extra: extraOf(doc, TOP_KEYS) };
}

function parseRunner(file: string, index: number, table: Table): RunnerEntry {
  const f = new Fields(file, `runners[${index}].`, table);
  const url = f.string("url", true)!;
  if (!/^https?:\/\/[^/]/i.test(url)) f.fail("url", `must be an http(s) URL, got ${show(url)}`);
  const entry: RunnerEntry = {
    name: f.string("name") ?? `runner-${index + 1}`,
    url,
    token: f.string("token", true)!,
    executor: f.oneOf("executor", EXECUTORS, true)!,
    limit: f.integer("limit", 0) ?? 0,
    requestConcurrency: f.integer("request_concurrency", 1) ?? 1,
    extra: extraOf(table, RUNNER_KEYS),
  };
  const id = f.integer("id", 0);
  if (id !== undefined) entry.id = id;
  const obtained = f.date("token_obtained_at");
  if (obtained !== undefined) entry.tokenObtainedAt = obtained;
  const expires = f.date("token_expires_at");
  if (expires !== undefined) entry.tokenExpiresAt = expires;
  const buildsDir = f.string("builds_dir");
  if (buildsDir !== undefined) entry.buildsDir = buildsDir;
  const cacheDir = f.string("cache_dir");
  if (cacheDir !== undefined) entry.cacheDir = cacheDir;
  const shell = f.oneOf("shell", SHELLS);
  if (shell !== undefined) entry.shell = shell;
  const outputLimit = f.integer("output_limit", 1);
  if (outputLimit !== undefined) entry.outputLimit = outputLimit;
  const docker = f.table_("docker");
  if (docker !== undefined) entry.docker = parseDocker(file, index, docker);
  const kubernetes = f.table_("kubernetes");
  if (kubernetes !== undefined) entry.kubernetes = parseKubernetes(file, index, kubernetes);
  return entry;
}

function parseDocker(file: string, index: number, table: Table): DockerSettings {
  const f = new Fields(file, `runners[${index}].docker.`, table);
  const settings: DockerSettings = { extra: extraOf(table, DOCKER_KEYS) };
  const image = f.string("image");
  if (image !== undefined) settings.image = image;
  const privileged = f.boolean("privileged");
  if (privileged !== undefined) settings.privileged = privileged;
  const servicesPrivileged = f.boolean("services_privileged");
  if (servicesPrivileged !== undefined) settings.servicesPrivileged = servicesPrivileged;
  const volumes = f.strings("volumes");
  if (volumes !== undefined) settings.volumes = volumes;
  const pullPolicy = f.pullPolicies("pull_policy");
  if (pullPolicy !== undefined) settings.pullPolicy = pullPolicy;
  const wait = f.integer("wait_for_services_timeout", Number.MIN_SAFE_INTEGER);
  if (wait !== undefined) settings.waitForServicesTimeout = wait;
  const user = f.string("user");
  if (user !== undefined) settings.user = user;
  return settings;
}

function parseKubernetes(file: string, index: number, table: Table): KubernetesSettings {
  const prefix = `runners[${index}].kubernetes.`;
  const f = new Fields(file, prefix, table);
  const settings: KubernetesSettings = {
    build: {},
    helper: {},
    service: {},
    extra: extraOf(table, KUBERNETES_KEYS),
  };
  for (const [field, key] of KUBERNETES_STRINGS) {
    const value = f.string(key);
    if (value !== undefined) settings[field] = value;
  }
  for (const [field, key] of KUBERNETES_MAPS) {
    const value = f.stringMap(key);
    if (value !== undefined) settings[field] = value;
  }
  for (const [kind, kindPrefix] of RESOURCE_KINDS) {
    for (const [field, key] of RESOURCE_FIELDS) {
      const value = f.quantity(`${kindPrefix}${key}`);
      if (value !== undefined) settings[kind][field] = value;
    }
  }
  const pullSecrets = f.strings("image_pull_secrets");
  if (pullSecrets !== undefined) settings.imagePullSecrets = pullSecrets;
  const affinity = f.table_("affinity");
  // A plain copy: the TOML reader's tables have no prototype.
  if (affinity !== undefined) settings.affinity = JSON.parse(JSON.stringify(affinity)) as Table;
  const privileged = f.boolean("privileged");
  if (privileged !== undefined) settings.privileged = privileged;
  const pullPolicy = f.pullPolicies("pull_policy");
  if (pullPolicy !== undefined) settings.pullPolicy = pullPolicy;
  const allowed = f.pullPolicies("allowed_pull_policies");
  if (allowed !== undefined) settings.allowedPullPolicies = allowed;
  const pollInterval = f.integer("poll_interval", 1);
  if (pollInterval !== undefined) settings.pollInterval = pollInterval;
  const pollTimeout = f.integer("poll_timeout", 1);
  if (pollTimeout !== undefined) settings.pollTimeout = pollTimeout;
  const grace = f.integer("pod_termination_grace_period_seconds", 0);
  if (grace !== undefined) settings.podTerminationGracePeriodSeconds = grace;
  const volumes = f.table_("volumes");
  if (volumes !== undefined) {
    const v = new Fields(file, `${prefix}volumes.`, volumes);
    settings.volumes = {};
    for (const [kind, key] of VOLUME_KINDS) {
      const list = v.tables(key);
      if (list === undefined) continue;
      settings.volumes[kind] = list.map((entry, i) =>
        parseVolume(new Fields(file, `${prefix}volumes.${key}[${i}].`, entry)),
      );
    }
  }
  return settings;
}

function parseVolume(f: Fields): KubernetesVolumeSettings {
  const mountPath = f.string("mount_path", true)!;
  if (!mountPath.startsWith("/"))
    f.fail("mount_path", `must be an absolute path, got ${show(mountPath)}`);
  const volume: KubernetesVolumeSettings = { name: f.string("name", true)!, mountPath };
  const readOnly = f.boolean("read_only");
  if (readOnly !== undefined) volume.readOnly = readOnly;
  const subPath = f.string("sub_path");
  if (subPath !== undefined) volume.subPath = subPath;
  const hostPath = f.string("host_path");
  if (hostPath !== undefined) volume.hostPath = hostPath;
  const items = f.stringMap("items");
  if (items !== undefined) volume.items = items;
  const medium = f.string("medium");
  if (medium !== undefined) volume.medium = medium;
  const sizeLimit = f.quantity("size_limit");
  if (sizeLimit !== undefined) volume.sizeLimit = sizeLimit;
  return volume;
}

function kubernetesTable(k: KubernetesSettings): Table {
  const table: Table = {};
  for (const [field, key] of KUBERNETES_STRINGS) if (k[field]) table[key] = k[field];
  if (k.imagePullSecrets) table.image_pull_secrets = k.imagePullSecrets;
  if (k.privileged !== undefined) table.privileged = k.privileged;
  if (k.pullPolicy) table.pull_policy = k.pullPolicy;
  if (k.allowedPullPolicies) table.allowed_pull_policies = k.allowedPullPolicies;
  for (const [kind, kindPrefix] of RESOURCE_KINDS) {
    for (const [field, key] of RESOURCE_FIELDS) {
      const value = k[kind][field];
      if (value !== undefined) table[`${kindPrefix}${key}`] = value;
    }
  }
  if (k.pollInterval !== undefined) table.poll_interval = k.pollInterval;
  if (k.pollTimeout !== undefined) table.poll_timeout = k.pollTimeout;
  if (k.podTerminationGracePeriodSeconds !== undefined) {
    table.pod_termination_grace_period_seconds = k.podTerminationGracePeriodSeconds;
  }
  Object.assign(table, k.extra);
  for (const [field, key] of KUBERNETES_MAPS) if (k[field]) table[key] = k[field];
  if (k.affinity) table.affinity = k.affinity;
  if (k.volumes) {
    const volumes: Table = {};
    for (const [kind, key] of VOLUME_KINDS) {
      const list = k.volumes[kind];
      if (!list) continue;
      volumes[key] = list.map((v) => {
        const entry: Table = { name: v.name, mount_path: v.mountPath };
        if (v.readOnly !== undefined) entry.read_only = v.readOnly;
        if (v.subPath) entry.sub_path = v.subPath;
        if (v.hostPath) entry.host_path = v.hostPath;
        if (v.medium) entry.medium = v.medium;
        if (v.sizeLimit) entry.size_limit = v.sizeLimit;
        if (v.items) entry.items = v.items;
        return entry;
      });
    }
    table.volumes = volumes;
  }
  return table;
}

/** The configuration as TOML, known keys first, unknown keys kept. */
export function serializeAgentConfig(config: AgentConfig): string {
  const doc: Table = {
    concurrent: config.concurrent,
    check_interval: config.checkInterval,
    shutdown_timeout: config.shutdownTimeout,
    ...config.extra,
  };
  if (config.runners.length > 0) doc.runners = config.runners.map(runnerTable);
  return stringify(doc);
}

function runnerTable(entry: RunnerEntry): Table {
  const table: Table = { name: entry.name, url: entry.url };
  if (entry.id !== undefined) table.id = entry.id;
  table.token = entry.token;
  if (entry.tokenObtainedAt) table.token_obtained_at = new Date(entry.tokenObtainedAt);
  if (entry.tokenExpiresAt) table.token_expires_at = new Date(entry.tokenExpiresAt);
  table.executor = entry.executor;
  table.limit = entry.limit;
  if (entry.requestConcurrency !== 1) table.request_concurrency = entry.requestConcurrency;
  if (entry.buildsDir) table.builds_dir = entry.buildsDir;
  if (entry.cacheDir) table.cache_dir = entry.cacheDir;
  if (entry.shell) table.shell = entry.shell;
  if (entry.outputLimit !== undefined) table.output_limit = entry.outputLimit;
  Object.assign(table, entry.extra);
  if (entry.docker) {
    const d = entry.docker;
    const docker: Table = {};
    if (d.image) docker.image = d.image;
    if (d.privileged !== undefined) docker.privileged = d.privileged;
    if (d.servicesPrivileged !== undefined) docker.services_privileged = d.servicesPrivileged;
    if (d.volumes) docker.volumes = d.volumes;
    if (d.pullPolicy) docker.pull_policy = d.pullPolicy;
    if (d.waitForServicesTimeout !== undefined) {
      docker.wait_for_services_timeout = d.waitForServicesTimeout;
    }
    if (d.user) docker.user = d.user;
    Object.assign(docker, d.extra);
    table.docker = docker;
  }
  if (entry.kubernetes) table.kubernetes = kubernetesTable(entry.kubernetes);
  return table;
}

/** Reads and validates the file; a missing file is a ConfigError saying how to create one. */
export async function readAgentConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError(
        `${file}: no such configuration file; register a runner first ('conveyor runner register')`,
      );
    }
    throw new ConfigError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  return parseAgentConfig(text, file);
}

/** The file's configuration, or an empty one when the file does not exist. */
export async function readAgentConfigOrEmpty(file: string): Promise<AgentConfig> {
  try {
    return parseAgentConfig(await readFile(file, "utf8"), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyConfig();
    throw error;
  }
}

/** Writes the file atomically, readable by its owner only (it holds tokens). */
export async function writeAgentConfig(file: string, config: AgentConfig): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(serializeAgentConfig(config));
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The mode given to open is filtered by the umask; 0600 is what must hold.
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

function extraOf(table: Table, known: ReadonlySet<string>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) if (!known.has(key)) extra[key] = value;
  return extra;
}

function isTable(value: unknown): value is Table {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)
  );
}

function show(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? String(value);
}
