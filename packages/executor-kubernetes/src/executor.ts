/**
 * The Kubernetes executor: prepares a job as gitlab-runner's Kubernetes executor does (one pod
 * with the build container, the helper container and one container per service; the registry
 * credentials in a Secret), waits for the pod to run, finds the job image's shell, waits for the
 * services that name a health-check port, and hands back a session whose steps run in the build
 * container through the exec API and whose build directory travels through the helper container.
 *
 * Log lines follow the runner's ("Using Kubernetes executor with image …", "Using Kubernetes
 * namespace: …", "Waiting for pod … to be running, status is Pending", gitlab-runner
 * `executors/kubernetes/kubernetes.go`). The first prepare of an executor removes the pods and
 * Secrets a crashed runner left in its namespace (stale.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { basename, resolve } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import {
  ExecutorError,
  type Executor,
  type ExecutorSession,
  type PrepareRequest,
} from "@conveyor/runner";
import { apiMessage } from "./api-errors.js";
import { PodExec } from "./exec.js";
import {
  DEFAULT_NAMESPACE,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_POLL_TIMEOUT_MS,
  DEFAULT_WAIT_FOR_SERVICES_MS,
  type KubernetesExecutorOptions,
} from "./options.js";
import {
  BUILD_CONTAINER,
  buildPod,
  identityOf,
  podNameOf,
  registrySecretOf,
  type JobIdentity,
} from "./pod-spec.js";
import { waitForPodRunning } from "./pod-wait.js";
import { serviceLogs, serviceWarningLines, waitForServices } from "./readiness.js";
import { liveKubernetesSessions } from "./registry.js";
import { KubernetesSession } from "./session.js";
import { parseShellProbe, SHELL_PROBE_COMMAND } from "./shell.js";
import { removeStaleResources } from "./stale.js";

/** Bound for the exec that finds the job image's shell. */
const SHELL_DETECTION_TIMEOUT_MS = 60_000;

interface PrepareContext {
  session: KubernetesSession;
  request: PrepareRequest;
  identity: JobIdentity;
  namespace: string;
}

/** The runner id used when none is configured: stable for this host. */
export function defaultRunnerId(): string {
  return createHash("sha256").update(hostname()).digest("hex").slice(0, 8);
}

/** `CI_CONCURRENT_ID`: the runner core's builds dir is `<builds root>/<slot>`. */
function concurrentIdOf(hostBuildsDir: string): number {
  const slot = Number(basename(hostBuildsDir));
  return Number.isInteger(slot) && slot >= 0 ? slot : 0;
}

export class KubernetesExecutor implements Executor {
  readonly name = "kubernetes";
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly #exec: PodExec;
  readonly #options: KubernetesExecutorOptions;
  #staleRemoval: Promise<void> | undefined;

  constructor(options: KubernetesExecutorOptions = {}) {
    this.#options = options;
    this.kubeConfig = options.kubeConfig ?? loadDefaultConfig();
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.#exec = new PodExec(this.kubeConfig);
  }

  /** The namespace of this executor's pods (see `namespaceOf`). */
  get namespace(): string {
    return namespaceOf(this.#options, this.kubeConfig);
  }

  get runnerId(): string {
    return this.#options.runnerId || defaultRunnerId();
  }

  async prepare(request: PrepareRequest): Promise<ExecutorSession> {
    const options = this.#options;
    const namespace = this.namespace;
    const hostBuildsDir = resolve(request.hostBuildsDir);
    const identity = identityOf(request.payload, {
      concurrentId: concurrentIdOf(hostBuildsDir),
      runnerId: this.runnerId,
      sessionId: randomBytes(4).toString("hex"),
      ownerPid: process.pid,
      ownerHost: hostname(),
    });
    const session = new KubernetesSession(
      this.core,
      this.#exec,
      options.registry ?? liveKubernetesSessions,
      { sessionId: identity.sessionId, namespace, podName: podNameOf(identity), hostBuildsDir },
    );
    try {
      await this.#removeStaleOnce();
      await this.#prepare({ session, request, identity, namespace });
      return session;
    } catch (error) {
      // Nothing ran in the pod yet: no grace period is owed to anything in it.
      session.markAborted();
      await session.cleanup();
      if (error instanceof ExecutorError) throw error;
      throw new ExecutorError(`preparing the Kubernetes executor failed: ${apiMessage(error)}`);
    }
  }

  #removeStaleOnce(): Promise<void> {
    if (this.#options.removeStale === false) return Promise.resolve();
    this.#staleRemoval ??= removeStaleResources(this.core, this.namespace, {
      runnerId: this.runnerId,
      registry: this.#options.registry ?? liveKubernetesSessions,
    }).then(
      () => undefined,
      () => undefined,
    );
    return this.#staleRemoval;
  }

  async #prepare(context: PrepareContext): Promise<void> {
    const { session, request, identity, namespace } = context;
    const options = this.#options;
    const { log, payload } = request;
    const secret = registrySecretOf(payload, identity, namespace, options.podLabels);
    const plan = buildPod({
      payload,
      options,
      identity,
      namespace,
      jobPullSecrets: secret ? [secret.metadata!.name!] : [],
    });
    log(`Using Kubernetes executor with image ${plan.image.name} ...`);
    log(`Using Kubernetes namespace: ${namespace}`);
    for (const warning of plan.warnings) log(`WARNING: ${warning}`);
    checkCanceled(context);

    if (secret) {
      try {
        await this.core.createNamespacedSecret({ namespace, body: secret });
      } catch (error) {
        throw new ExecutorError(
          `creating the registry credentials Secret failed: ${apiMessage(error)}`,
        );
      }
      session.trackSecret(secret.metadata!.name!);
      checkCanceled(context);
    }
    try {
      await this.core.createNamespacedPod({ namespace, body: plan.pod });
    } catch (error) {
      throw new ExecutorError(
        `creating pod ${namespace}/${session.podName} failed: ${apiMessage(error)}`,
      );
    }
    session.podCreated();
    checkCanceled(context);

    const running = await waitForPodRunning(this.core, namespace, session.podName, {
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      pollTimeoutMs: options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS,
      log,
      signal: request.signal,
    });
    for (const exited of running.exitedServices) {
      const logs = await serviceLogs(this.core, namespace, session.podName, exited.container);
      for (const line of serviceWarningLines(exited.container, exited.detail, logs)) log(line);
    }
    checkCanceled(context);

    const shell = await this.#detectShell(context);
    await waitForServices({
      core: this.core,
      exec: this.#exec,
      namespace,
      pod: plan.pod,
      timeoutMs: options.waitForServicesTimeoutMs ?? DEFAULT_WAIT_FOR_SERVICES_MS,
      log,
      signal: request.signal,
    });
    checkCanceled(context);
    session.ready(shell.shell, shell.path);
  }

  /** Asks the build container which shell it has (bash first, then sh). */
  async #detectShell(context: PrepareContext): Promise<{ path: string; shell: "bash" | "sh" }> {
    const chunks: Buffer[] = [];
    const result = await this.#exec.run({
      namespace: context.namespace,
      pod: context.session.podName,
      container: BUILD_CONTAINER,
      command: SHELL_PROBE_COMMAND,
      stdout: (chunk) => chunks.push(chunk),
      stderr: (chunk) => chunks.push(chunk),
      signal: AbortSignal.any([
        context.request.signal,
        AbortSignal.timeout(SHELL_DETECTION_TIMEOUT_MS),
      ]),
    });
    checkCanceled(context);
    const output = Buffer.concat(chunks).toString("utf8");
    const found = parseShellProbe(output);
    if (found) return found;
    const why = result.aborted
      ? "it did not answer in time"
      : (result.error ?? `it exited with code ${result.exitCode}`);
    const tail = output.trim().split("\n").slice(-5).join("\n");
    throw new ExecutorError(
      `no shell found in the job image (bash or sh at the usual paths): ${why}${tail ? `\n${tail}` : ""}`,
    );
  }
}

/**
 * The pods' namespace: the `namespace` option, else the namespace of the client configuration's
 * current context (what kubectl uses: a kubeconfig context's `namespace`, or in a pod the service
 * account's namespace file, which `loadFromCluster` puts there), else `default`
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#setting-the-namespace-preference).
 */
export function namespaceOf(
  options: Pick<KubernetesExecutorOptions, "namespace">,
  kubeConfig: KubeConfig,
): string {
  if (options.namespace) return options.namespace;
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return context?.namespace || DEFAULT_NAMESPACE;
}

function loadDefaultConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

function checkCanceled(context: PrepareContext): void {
  if (context.request.signal.aborted) {
    throw new ExecutorError("the job was canceled while preparing");
  }
  if (context.session.closed) throw new ExecutorError("the session was cleaned up while preparing");
}
