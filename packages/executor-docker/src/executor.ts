/**
 * The Docker executor: prepares a job as gitlab-runner's docker executor does (job network,
 * services with their aliases and readiness wait, the job container with /builds mounted from the
 * host) and hands back a session whose steps run in that container.
 *
 * Log lines follow the runner's ("Using Docker executor with image …", "Starting service …",
 * "Waiting for services to be up and running (timeout 30 seconds)...",
 * gitlab-runner `executors/docker/executor_docker.go`, `services.go`).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import Docker from "dockerode";
import type { JobPayload } from "@conveyor/protocol";
import {
  ExecutorError,
  type Executor,
  type ExecutorSession,
  type PrepareRequest,
} from "@conveyor/runner";
import {
  buildContainerBody,
  checkExecutorOptions,
  identityOf,
  imageReferenceOf,
  LABELS,
  labelsFor,
  mountsFor,
  networkCreateBody,
  planServices,
  resolveJobImage,
  resolvePullPolicies,
  resourceNames,
  serviceContainerBody,
  serviceWarningLines,
  type JobIdentity,
  type Mounts,
  type PlannedService,
  type ResourceNames,
} from "./convert.js";
import { EngineApi, engineMessage } from "./engine-api.js";
import {
  DEFAULT_PULL_POLICY,
  DEFAULT_SHELL_DETECTION_MS,
  DEFAULT_WAIT_FOR_SERVICES_MS,
  type DockerExecutorOptions,
} from "./options.js";
import { ensureImage } from "./pull.js";
import { waitForService } from "./readiness.js";
import { liveDockerSessions } from "./registry.js";
import { DockerSession } from "./session.js";
import { parseShellProbe, SHELL_PROBE_SCRIPT } from "./shell.js";
import { runScript } from "./step.js";

interface PrepareContext {
  api: EngineApi;
  session: DockerSession;
  payload: JobPayload;
  identity: JobIdentity;
  names: ResourceNames;
  mounts: Mounts;
  log: (line: string) => void;
  signal: AbortSignal;
}

export class DockerExecutor implements Executor {
  readonly name = "docker";
  readonly #options: DockerExecutorOptions;
  readonly #api: EngineApi;

  constructor(options: DockerExecutorOptions = {}) {
    this.#options = options;
    this.#api = new EngineApi(options.docker ?? new Docker());
  }

  /** The engine client this executor talks to. */
  get docker(): Docker {
    return this.#api.docker;
  }

  async prepare(request: PrepareRequest): Promise<ExecutorSession> {
    const options = this.#options;
    const session = new DockerSession(this.#api, options.registry ?? liveDockerSessions, {
      sessionId: randomBytes(4).toString("hex"),
      hostBuildsDir: resolve(request.hostBuildsDir),
    });
    try {
      const identity = identityOf(request.payload, {
        sessionId: session.sessionId,
        ownerPid: process.pid,
        ownerHost: hostname(),
      });
      const context: PrepareContext = {
        api: this.#api,
        session,
        payload: request.payload,
        identity,
        names: resourceNames(identity),
        mounts: mountsFor(session.hostBuildsDir, options.volumes),
        log: request.log,
        signal: request.signal,
      };
      await this.#prepare(context);
      return session;
    } catch (error) {
      await session.cleanup();
      if (error instanceof ExecutorError) throw error;
      throw new ExecutorError(`preparing the Docker executor failed: ${engineMessage(error)}`);
    }
  }

  async #prepare(context: PrepareContext): Promise<void> {
    const { api, payload, log, names } = context;
    const options = this.#options;
    const image = resolveJobImage(payload.image, options.defaultImage);
    checkExecutorOptions(image, "image");
    const reference = imageReferenceOf(image.name, "image");
    const plan = planServices(payload.services ?? [], names);
    log(`Using Docker executor with image ${image.name} ...`);

    try {
      await api.ping();
    } catch (error) {
      throw new ExecutorError(`cannot reach the Docker engine: ${engineMessage(error)}`);
    }
    checkCanceled(context);

    const networkId = await api.createNetwork(
      networkCreateBody(names, labelsFor(context.identity, "network", {}, options.labels)),
    );
    await recordNetwork(context, networkId);

    for (const warning of plan.warnings) log(`WARNING: ${warning}`);
    const started: { service: PlannedService; id: string }[] = [];
    for (const service of plan.services) {
      started.push({ service, id: await this.#startService(context, service) });
    }
    await this.#waitForServices(context, started);

    checkCanceled(context);
    const imageInfo = await ensureImage(
      api,
      {
        name: image.name,
        reference,
        policies: resolvePullPolicies(image, options.pullPolicy ?? DEFAULT_PULL_POLICY),
        platform: image.executor_opts?.docker?.platform,
      },
      { credentials: payload.credentials, log, signal: context.signal },
    );
    checkCanceled(context);
    const buildId = await api.createContainer(
      names.build,
      buildContainerBody({
        payload,
        image,
        imageId: imageInfo.Id,
        names,
        labels: labelsFor(context.identity, "build", {}, options.labels),
        mounts: context.mounts,
        privileged: options.privileged === true,
        user: options.user,
      }),
      image.executor_opts?.docker?.platform,
    );
    await recordContainer(context, buildId);
    context.session.ready(buildId, await this.#detectShell(context, buildId));
  }

  async #startService(context: PrepareContext, service: PlannedService): Promise<string> {
    const { api, log, names } = context;
    const options = this.#options;
    checkCanceled(context);
    log(`Starting service ${service.displayName} ...`);
    const definition = service.definition;
    const imageInfo = await ensureImage(
      api,
      {
        name: definition.name,
        reference: service.reference,
        policies: resolvePullPolicies(definition, options.pullPolicy ?? DEFAULT_PULL_POLICY),
        platform: definition.executor_opts?.docker?.platform,
      },
      { credentials: context.payload.credentials, log, signal: context.signal },
    );
    checkCanceled(context);
    const id = await api.createContainer(
      service.containerName,
      serviceContainerBody({
        payload: context.payload,
        service,
        imageId: imageInfo.Id,
        names,
        labels: labelsFor(
          context.identity,
          "service",
          {
            [LABELS.service]: definition.name,
            [LABELS.serviceAliases]: service.aliases.join(","),
          },
          options.labels,
        ),
        mounts: context.mounts,
        privileged: options.servicesPrivileged ?? options.privileged === true,
      }),
      definition.executor_opts?.docker?.platform,
    );
    await recordContainer(context, id);
    try {
      await api.startContainer(id);
    } catch (error) {
      throw new ExecutorError(`service ${definition.name} did not start: ${engineMessage(error)}`);
    }
    return id;
  }

  async #waitForServices(
    context: PrepareContext,
    started: { service: PlannedService; id: string }[],
  ): Promise<void> {
    const timeoutMs = this.#options.waitForServicesTimeoutMs ?? DEFAULT_WAIT_FOR_SERVICES_MS;
    if (started.length === 0 || timeoutMs <= 0) return;
    context.log(
      `Waiting for services to be up and running (timeout ${Math.round(timeoutMs / 1000)} seconds)...`,
    );
    const results = await Promise.all(
      started.map(async ({ service, id }) => ({
        service,
        id,
        readiness: await waitForService(context.api, id, context.names.network, {
          timeoutMs,
          signal: context.signal,
        }),
      })),
    );
    checkCanceled(context);
    for (const { service, id, readiness } of results) {
      if (readiness.ready) continue;
      let logs: string;
      try {
        logs = await context.api.containerLogs(id);
      } catch (error) {
        logs = engineMessage(error);
      }
      for (const line of serviceWarningLines(service.containerName, readiness.error, logs)) {
        context.log(line);
      }
    }
  }

  /** Starts the job container once with a probe script: which shell did the detection pick? */
  async #detectShell(context: PrepareContext, buildId: string): Promise<"bash" | "sh"> {
    const chunks: Uint8Array[] = [];
    const outcome = await runScript(context.api, buildId, {
      script: SHELL_PROBE_SCRIPT,
      timeoutMs: this.#options.shellDetectionTimeoutMs ?? DEFAULT_SHELL_DETECTION_MS,
      signal: context.signal,
      output: (chunk) => {
        if (chunks.length < 256) chunks.push(chunk);
      },
    });
    checkCanceled(context);
    const output = Buffer.concat(chunks).toString("utf8");
    const shell = parseShellProbe(output);
    if (shell) return shell;
    if (outcome.systemError) throw new ExecutorError(outcome.systemError);
    const why = outcome.timedOut
      ? "it did not answer in time"
      : `it exited with code ${outcome.exitCode}`;
    const tail = output.trim().split("\n").slice(-5).join("\n");
    throw new ExecutorError(
      `the job image did not start a shell (${why}); its entrypoint must run the command it is given, ` +
        `or be overridden with image:entrypoint: [""]${tail ? `\n${tail}` : ""}`,
    );
  }
}

function checkCanceled(context: PrepareContext): void {
  if (context.signal.aborted) throw new ExecutorError("the job was canceled while preparing");
  if (context.session.closed) throw new ExecutorError("the session was cleaned up while preparing");
}

/** Records a new container; when the session was cleaned up meanwhile, removes it at once. */
async function recordContainer(context: PrepareContext, id: string): Promise<void> {
  context.session.trackContainer(id);
  if (context.session.closed) {
    await context.api.removeContainer(id).catch(() => undefined);
    checkCanceled(context);
  }
}

async function recordNetwork(context: PrepareContext, id: string): Promise<void> {
  context.session.trackNetwork(id);
  if (context.session.closed) {
    await context.api.removeNetwork(id).catch(() => undefined);
    checkCanceled(context);
  }
}
