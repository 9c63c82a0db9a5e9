/**
 * `conveyor runner`: this host as a runner of a GitLab-compatible server (Conveyor's own or
 * GitLab), speaking GitLab's runner API (../shared/specs/runner-protocol.md) and running jobs
 * with Conveyor's runner core and its shell, Docker or Kubernetes executor.
 * - `register` stores a runner in the configuration file: a `glrt-` token (a runner created on
 *   the server) is checked with `POST runners/verify` (§2.2) and stored as is; any other token is
 *   a registration token and `POST runners` (§2.1) creates the runner with the given tags.
 * - `run` asks the servers for jobs and runs them until SIGINT/SIGTERM (a second one aborts the
 *   running jobs).
 * - `verify` checks the stored tokens (§2.2); `unregister` removes runners (§2.3, §2.4).
 * The configuration file holds tokens; nothing here prints them.
 */
import { createHash } from "node:crypto";
import { homedir, hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type AgentConfig,
  ConfigError,
  defaultConfigPath,
  loadSystemId,
  readAgentConfig,
  readAgentConfigOrEmpty,
  runAgent,
  RunnerApiError,
  RunnerClient,
  type RunnerCredentials,
  type RunnerEntry,
  runnerInfo,
  writeAgentConfig,
} from "@conveyor/runner";
import {
  EXECUTOR_NAMES,
  type ExecutorChoice,
  type ExecutorName,
  makeExecutor,
} from "../executors.js";
import type { Io } from "../io.js";
import { UsageError } from "../io.js";
import { CONVEYOR_VERSION } from "../version.js";
import { usageErrors } from "./options.js";

const USAGE = `usage: conveyor runner <command> [options]

commands:
  register    register this host with a server and save the runner in the config file
  run         take jobs from the configured servers and run them until interrupted
  verify      check that the servers still know the configured runners
  unregister  remove a runner from its server and from the config file

conveyor runner register --url URL --token TOKEN [--tag TAG]... [--run-untagged]
    [--executor shell|docker|kubernetes] [--docker-image IMAGE]
    [--kubernetes-image IMAGE] [--kubernetes-namespace NAMESPACE] [--name NAME] [--limit N]
  A glrt- token (a runner created on the server) is checked and stored; its tags are set on
  the server. Any other token is a registration token: the runner is created with --tag and
  --run-untagged (untagged jobs are always taken when no tag is given).
  The kubernetes executor runs each job in a pod of the cluster KUBECONFIG names (else
  ~/.kube/config, else the service account of the pod the runner runs in); more settings go in
  the file's [runners.kubernetes] table, as in gitlab-runner's config.toml.
conveyor runner run [--url URL --token TOKEN [register's options]]
  With --url and --token, registers first when no runner for URL is configured.
  First SIGINT/SIGTERM: take no more jobs, let running ones finish (up to shutdown_timeout);
  a second one aborts them. Results are still reported.
conveyor runner verify [--delete]      --delete removes runners the server no longer knows
conveyor runner unregister [--name NAME | --all]

Every command takes --config FILE (default: $CONVEYOR_RUNNER_CONFIG, else
~/.conveyor/runner.toml). The file is gitlab-runner's config.toml format and holds tokens.
`;

const COMMON = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** `run` takes register's flags too, to register on first start. */
const RUN_OPTIONS = {
  ...COMMON,
  url: { type: "string" },
  token: { type: "string" },
  tag: { type: "string", multiple: true },
  "run-untagged": { type: "boolean" },
  executor: { type: "string" },
  "docker-image": { type: "string" },
  "kubernetes-image": { type: "string" },
  "kubernetes-namespace": { type: "string" },
  name: { type: "string" },
  limit: { type: "string" },
} as const;

/** A parsed flag back as arguments (`--tag a --tag b`, `--run-untagged`). */
function flagArgs(key: string, value: string | boolean | string[] | undefined): string[] {
  if (value === undefined || value === false) return [];
  if (value === true) return [`--${key}`];
  return (Array.isArray(value) ? value : [value]).flatMap((item) => [`--${key}`, item]);
}

export async function runnerCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    (sub === undefined ? io.stderr : io.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {
    register,
    run,
    verify,
    unregister,
  };
  const command = commands[sub];
  if (!command) throw new UsageError(`unknown runner command '${sub}'`);
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RunnerApiError) {
      io.stderr.write(`conveyor runner ${sub}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function configPathOf(io: Io, given: string | undefined): string {
  if (given !== undefined) return resolve(io.cwd, given);
  return resolve(io.cwd, defaultConfigPath(io.env, io.env.HOME || homedir()));
}

function helpOr(values: { help?: boolean | undefined }, io: Io): boolean {
  if (values.help) io.stdout.write(USAGE);
  return values.help === true;
}

/** `startHint`: tell how to start the runner (not when `run` registers before it starts). */
async function register(args: string[], io: Io, startHint = true): Promise<number> {
  const { values } = usageErrors(() =>
    parseArgs({
      args,
      options: {
        ...RUN_OPTIONS,
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  if (helpOr(values, io)) return 0;
  if (!values.url) throw new UsageError("--url is required");
  if (!values.token) throw new UsageError("--token is required");
  const executor = (values.executor ?? "shell") as ExecutorName;
  if (!EXECUTOR_NAMES.includes(executor)) {
    throw new UsageError(`--executor takes ${EXECUTOR_NAMES.join(", ")}, got '${values.executor}'`);
  }
  if (executor === "docker" && !values["docker-image"]) {
    throw new UsageError("--docker-image is required with --executor docker");
  }
  const limit = values.limit === undefined ? 0 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new UsageError(`--limit takes a whole number ≥ 0, got '${values.limit}'`);
  }
  const tags = (values.tag ?? [])
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter(Boolean);
  const name = values.name ?? hostname();
  const createdOnServer = values.token.startsWith("glrt-");
  if (createdOnServer && (tags.length > 0 || values["run-untagged"])) {
    // gitlab-runner refuses these too: such a runner's settings live on the server (§2.2).
    throw new UsageError(
      "--tag and --run-untagged are set on the server for a runner created there (glrt- token)",
    );
  }
  let client: RunnerClient;
  try {
    client = new RunnerClient({
      url: values.url,
      userAgent: `conveyor-runner ${CONVEYOR_VERSION}`,
    });
  } catch (error) {
    throw new UsageError(`--url: ${(error as Error).message}`);
  }

  const file = configPathOf(io, values.config);
  const config = await readAgentConfigOrEmpty(file);
  const fresh = config.runners.length === 0;
  const systemId = await loadSystemId(file);
  const info = runnerInfo({ version: CONVEYOR_VERSION, executor, shell: "bash" });
  io.stderr.write(`Registering runner "${name}" with ${values.url}...\n`);
  let credentials: RunnerCredentials;
  if (createdOnServer) {
    credentials = await client.verify({ token: values.token, systemId, info });
  } else {
    credentials = await client.register({
      registrationToken: values.token,
      description: name,
      tags,
      // gitlab-runner takes untagged jobs when no tag is given.
      runUntagged: values["run-untagged"] === true || tags.length === 0,
      info,
    });
  }
  const entry: RunnerEntry = {
    name,
    url: values.url,
    token: credentials.token,
    tokenObtainedAt: new Date().toISOString(),
    executor,
    limit,
    requestConcurrency: 1,
    extra: {},
  };
  if (credentials.id !== undefined) entry.id = credentials.id;
  if (credentials.tokenExpiresAt) entry.tokenExpiresAt = credentials.tokenExpiresAt;
  if (executor === "docker") entry.docker = { image: values["docker-image"]!, extra: {} };
  if (executor === "kubernetes") {
    entry.kubernetes = { build: {}, helper: {}, service: {}, extra: {} };
    if (values["kubernetes-image"]) entry.kubernetes.image = values["kubernetes-image"];
    if (values["kubernetes-namespace"]) entry.kubernetes.namespace = values["kubernetes-namespace"];
  }
  config.runners.push(entry);
  if (fresh) config.concurrent = Math.max(config.concurrent, limit);
  try {
    await writeAgentConfig(file, config);
  } catch (error) {
    // A runner the configuration does not hold is useless: remove the one just created.
    if (!createdOnServer)
      await client.unregister(credentials.token, systemId).catch(() => undefined);
    throw error;
  }
  const id = credentials.id !== undefined ? ` (id ${credentials.id})` : "";
  io.stderr.write(`Runner "${name}"${id} registered, ${executor} executor; saved in ${file}\n`);
  if (startHint) {
    io.stderr.write(
      `Start it with: conveyor runner run${values.config ? ` --config ${values.config}` : ""}\n`,
    );
  }
  return 0;
}

async function run(args: string[], io: Io): Promise<number> {
  const { values } = usageErrors(() =>
    parseArgs({ args, options: RUN_OPTIONS, strict: true, allowPositionals: false }),
  );
  if (helpOr(values, io)) return 0;
  const file = configPathOf(io, values.config);
  if (values.url !== undefined) {
    // `run --url URL --token T`: register first unless a runner for that server is configured.
    const known = (await readAgentConfigOrEmpty(file)).runners.some((r) => r.url === values.url);
    if (!known) {
      if (!values.token) throw new UsageError("--token is required to register with --url");
      const { config: _config, help: _help, ...registration } = values;
      const code = await register(
        [
          ...Object.entries(registration).flatMap(([key, value]) => flagArgs(key, value)),
          "--config",
          file,
        ],
        io,
        false,
      );
      if (code !== 0) return code;
    }
  } else if (values.token !== undefined) {
    throw new UsageError("--token goes with --url");
  }
  const config = await readAgentConfig(file);
  if (config.runners.length === 0) {
    throw new ConfigError(`${file}: no runners configured; register one first`);
  }
  const systemId = await loadSystemId(file);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const stop = new AbortController();
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      log("Stopping: no more jobs are taken (interrupt again to abort running jobs)");
      stop.abort();
    } else {
      abort.abort();
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  log(
    `conveyor runner ${CONVEYOR_VERSION}: ${config.runners.length} runner(s) from ${file}, ` +
      `${config.concurrent} job(s) at once; waiting for jobs`,
  );
  try {
    const summary = await runAgent({
      config,
      baseDir: dirname(file),
      systemId,
      executorFor: (entry) => makeExecutor(executorChoice(entry)),
      signal: stop.signal,
      abortSignal: abort.signal,
      version: CONVEYOR_VERSION,
      log,
    });
    log(`Stopped after ${summary.jobs} job(s)`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return 0;
}

/** A runner's executor settings as the CLI's executor factory takes them. */
function executorChoice(entry: RunnerEntry): ExecutorChoice {
  const docker = entry.docker;
  if (entry.executor === "kubernetes") return kubernetesChoice(entry);
  return {
    name: entry.executor,
    ...(entry.shell ? { shell: entry.shell } : {}),
    ...(docker?.image ? { image: docker.image } : {}),
    ...(docker
      ? {
          docker: {
            ...(docker.privileged !== undefined ? { privileged: docker.privileged } : {}),
            ...(docker.servicesPrivileged !== undefined
              ? { servicesPrivileged: docker.servicesPrivileged }
              : {}),
            ...(docker.volumes ? { volumes: docker.volumes } : {}),
            ...(docker.pullPolicy ? { pullPolicy: docker.pullPolicy } : {}),
            ...(docker.waitForServicesTimeout !== undefined
              ? { waitForServicesTimeoutMs: docker.waitForServicesTimeout * 1000 }
              : {}),
            ...(docker.user ? { user: docker.user } : {}),
          },
        }
      : {}),
  };
}

/**
 * `[runners.kubernetes]` as KubernetesExecutor options. The runner's id names its pods (its
 * number on the server, else a digest of its token: never the token itself).
 */
function kubernetesChoice(entry: RunnerEntry): ExecutorChoice {
  const k = entry.kubernetes;
  const options: NonNullable<ExecutorChoice["kubernetes"]> = {
    runnerId:
      entry.id !== undefined
        ? String(entry.id)
        : createHash("sha256").update(entry.token).digest("hex").slice(0, 8),
  };
  if (k) {
    if (k.namespace) options.namespace = k.namespace;
    if (k.helperImage) options.helperImage = k.helperImage;
    if (k.serviceAccount) options.serviceAccount = k.serviceAccount;
    if (k.imagePullSecrets) options.imagePullSecrets = k.imagePullSecrets;
    if (k.nodeSelector) options.nodeSelector = k.nodeSelector;
    if (k.nodeTolerations) options.nodeTolerations = k.nodeTolerations;
    // Passed through as written: the table uses the Kubernetes API's field names.
    if (k.affinity) options.affinity = k.affinity as NonNullable<typeof options.affinity>;
    if (k.privileged !== undefined) options.privileged = k.privileged;
    if (k.pullPolicy) options.pullPolicy = k.pullPolicy;
    if (k.allowedPullPolicies) options.allowedPullPolicies = k.allowedPullPolicies;
    options.build = k.build;
    options.helper = k.helper;
    options.service = k.service;
    if (k.volumes) options.volumes = k.volumes;
    if (k.podLabels) options.podLabels = k.podLabels;
    if (k.podAnnotations) options.podAnnotations = k.podAnnotations;
    if (k.podTerminationGracePeriodSeconds !== undefined) {
      options.terminationGracePeriodSeconds = k.podTerminationGracePeriodSeconds;
    }
    if (k.pollInterval !== undefined) options.pollIntervalMs = k.pollInterval * 1000;
    if (k.pollTimeout !== undefined) options.pollTimeoutMs = k.pollTimeout * 1000;
  }
  return { name: "kubernetes", ...(k?.image ? { image: k.image } : {}), kubernetes: options };
}

async function verify(args: string[], io: Io): Promise<number> {
  const { values } = usageErrors(() =>
    parseArgs({
      args,
      options: { ...COMMON, delete: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }),
  );
  if (helpOr(values, io)) return 0;
  const file = configPathOf(io, values.config);
  const config = await readAgentConfig(file);
  const systemId = await loadSystemId(file);
  const removed: RunnerEntry[] = [];
  let failed = 0;
  for (const entry of config.runners) {
    const label = `runner "${entry.name}" at ${entry.url}`;
    try {
      await new RunnerClient({ url: entry.url }).verify({
        token: entry.token,
        systemId,
        info: runnerInfo({
          version: CONVEYOR_VERSION,
          executor: entry.executor,
          shell: entry.shell ?? "bash",
        }),
      });
      io.stderr.write(`${label}: valid\n`);
    } catch (error) {
      if (!(error instanceof RunnerApiError)) throw error;
      failed++;
      io.stderr.write(`${label}: ${error.message}\n`);
      if (values.delete && error.status === 403) removed.push(entry);
    }
  }
  if (removed.length > 0) {
    config.runners = config.runners.filter((entry) => !removed.includes(entry));
    await writeAgentConfig(file, config);
    io.stderr.write(`Removed ${removed.length} runner(s) from ${file}\n`);
  }
  return failed > removed.length ? 1 : 0;
}

async function unregister(args: string[], io: Io): Promise<number> {
  const { values } = usageErrors(() =>
    parseArgs({
      args,
      options: { ...COMMON, name: { type: "string" }, all: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }),
  );
  if (helpOr(values, io)) return 0;
  const file = configPathOf(io, values.config);
  const config = await readAgentConfig(file);
  const chosen = chooseRunners(config, values.name, values.all === true, file);
  const systemId = await loadSystemId(file);
  const gone: RunnerEntry[] = [];
  let failed = 0;
  for (const entry of chosen) {
    const label = `runner "${entry.name}" at ${entry.url}`;
    try {
      await new RunnerClient({ url: entry.url }).unregister(entry.token, systemId);
      io.stderr.write(`${label}: unregistered\n`);
      gone.push(entry);
    } catch (error) {
      if (!(error instanceof RunnerApiError)) throw error;
      if (error.status === 403) {
        // The server no longer knows the token: nothing left to remove there.
        io.stderr.write(`${label}: already unknown to the server; removing it here\n`);
        gone.push(entry);
      } else {
        failed++;
        io.stderr.write(`${label}: ${error.message}; kept in ${file}\n`);
      }
    }
  }
  if (gone.length > 0) {
    config.runners = config.runners.filter((entry) => !gone.includes(entry));
    await writeAgentConfig(file, config);
  }
  return failed > 0 ? 1 : 0;
}

function chooseRunners(
  config: AgentConfig,
  name: string | undefined,
  all: boolean,
  file: string,
): RunnerEntry[] {
  if (all && name !== undefined) throw new UsageError("give --name or --all, not both");
  if (all) return config.runners;
  if (name !== undefined) {
    const matching = config.runners.filter((entry) => entry.name === name);
    if (matching.length === 0) throw new UsageError(`no runner named '${name}' in ${file}`);
    return matching;
  }
  if (config.runners.length === 1) return config.runners;
  if (config.runners.length === 0) throw new ConfigError(`${file}: no runners configured`);
  throw new UsageError(
    `${config.runners.length} runners are configured; choose with --name NAME or --all`,
  );
}
