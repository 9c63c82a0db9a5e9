/**
 * The pure half of the Docker executor: from the job payload and the executor's options to the
 * Engine API bodies it sends (network, job container, service containers), the names and labels of
 * everything it creates, the services' hostnames, pull policies and health-check ports. No I/O.
 *
 * GitLab facts, from gitlab-runner `executors/docker/executor_docker.go` and
 * `internal/networks/manager.go` unless noted:
 * - one user-defined bridge network per job (FF_NETWORK_PER_BUILD,
 *   https://docs.gitlab.com/runner/executors/docker/#create-a-network-for-each-job); the job
 *   container joins it with the aliases `build` and its own name, each service with its aliases;
 * - a service is reachable under its default aliases (image name) plus its `alias:` list; an alias
 *   already taken by an earlier service is skipped with "Service … is already created. Ignoring.",
 *   and a service left without any alias is not started;
 * - services get the same mounts as the job, including the builds directory at /builds
 *   (https://docs.gitlab.com/ci/services/#shared-builds-directory);
 * - `image:entrypoint` / `services:entrypoint` replace the image's ENTRYPOINT when non-empty
 *   (`[""]` clears it); `services:command` replaces CMD;
 * - `executor_opts.docker.user` is the container user (the runner's own `user` setting wins for the
 *   job container); `platform` selects the image platform; other keys fail the job
 *   (runner-protocol §3.5, gitlab-runner `common/spec/spec.go` `supportedExecutorOptions`);
 * - the health check dials the port in the service's `HEALTHCHECK_TCP_PORT` variable, else every
 *   exposed TCP port (at most 20, ascending); a service with none is reported as not started.
 */
import type { JobImage, JobPayload, JobService, PullPolicy } from "@conveyor/protocol";
import {
  checkExecutorOptions as checkOptions,
  ExecutorError,
  resolveJobImage as resolveImage,
} from "@conveyor/runner";
import {
  defaultServiceAliases,
  parseImageReference,
  serviceName,
  serviceVersion,
  splitAliases,
  type ImageReference,
} from "./image-ref.js";
import { JOB_BUILDS_DIR } from "./options.js";
import { shellDetectionCommand } from "./shell.js";
import { jobEnvironment, serviceEnvironment } from "./variables.js";

/** Who owns a set of containers: the job, and the executor session (process) that made them. */
export interface JobIdentity {
  jobId: number;
  jobName: string;
  pipelineId: number;
  projectId: number;
  /** Random per prepare; part of every name, so reruns of one job id never collide. */
  sessionId: string;
  ownerPid: number;
  ownerHost: string;
}

export const LABEL_PREFIX = "com.conveyor";
export const LABELS = {
  managed: `${LABEL_PREFIX}.managed`,
  jobId: `${LABEL_PREFIX}.job-id`,
  jobName: `${LABEL_PREFIX}.job-name`,
  pipelineId: `${LABEL_PREFIX}.pipeline-id`,
  projectId: `${LABEL_PREFIX}.project-id`,
  session: `${LABEL_PREFIX}.session`,
  ownerPid: `${LABEL_PREFIX}.owner-pid`,
  ownerHost: `${LABEL_PREFIX}.owner-host`,
  type: `${LABEL_PREFIX}.type`,
  service: `${LABEL_PREFIX}.service`,
  serviceVersion: `${LABEL_PREFIX}.service-version`,
  serviceAliases: `${LABEL_PREFIX}.service-aliases`,
} as const;

export type ResourceType = "build" | "service" | "network";

export function identityOf(
  payload: JobPayload,
  session: { sessionId: string; ownerPid: number; ownerHost: string },
): JobIdentity {
  return {
    jobId: payload.id,
    jobName: payload.job_info.name,
    pipelineId: payload.job_info.pipeline_id,
    projectId: payload.job_info.project_id,
    ...session,
  };
}

export function labelsFor(
  identity: JobIdentity,
  type: ResourceType,
  extra: Record<string, string> = {},
  custom: Record<string, string> = {},
): Record<string, string> {
  return {
    ...custom,
    [LABELS.managed]: "true",
    [LABELS.jobId]: String(identity.jobId),
    [LABELS.jobName]: identity.jobName,
    [LABELS.pipelineId]: String(identity.pipelineId),
    [LABELS.projectId]: String(identity.projectId),
    [LABELS.session]: identity.sessionId,
    [LABELS.ownerPid]: String(identity.ownerPid),
    [LABELS.ownerHost]: identity.ownerHost,
    [LABELS.type]: type,
    ...extra,
  };
}

export interface ResourceNames {
  /** `conveyor-job-<id>-<session>`: the prefix of every name, and the job container's hostname. */
  base: string;
  network: string;
  build: string;
}

export function resourceNames(identity: JobIdentity): ResourceNames {
  const base = `conveyor-job-${identity.jobId}-${identity.sessionId}`;
  return { base, network: `${base}-network`, build: `${base}-build` };
}

/** The job's image: `image:` of the payload, else the executor's default. */
export function resolveJobImage(
  image: JobImage | null | undefined,
  defaultImage: string | undefined,
): JobImage {
  return resolveImage(image, defaultImage, "Docker image");
}

const SUPPORTED_DOCKER_OPTIONS = ["platform", "user"];

/** Fails on `executor_opts` the Docker executor does not know (the runner's "unsupported options"). */
export function checkExecutorOptions(image: JobImage, what: "image" | "services"): void {
  checkOptions(image, what, "docker", SUPPORTED_DOCKER_OPTIONS);
}

const PULL_POLICIES: readonly PullPolicy[] = ["always", "if-not-present", "never"];

/** The image's own `pull_policy` list when it has one, else the executor's default list. */
export function resolvePullPolicies(
  image: Pick<JobImage, "pull_policy">,
  defaults: readonly PullPolicy[],
): PullPolicy[] {
  const policies = image.pull_policy && image.pull_policy.length > 0 ? image.pull_policy : defaults;
  for (const policy of policies) {
    if (!PULL_POLICIES.includes(policy)) {
      throw new ExecutorError(
        `unsupported pull_policy "${String(policy)}"; use ${PULL_POLICIES.join(", ")}`,
      );
    }
  }
  return [...policies];
}

/** Parses an image name or fails the job with the runner's wording. */
export function imageReferenceOf(name: string, what: "image" | "service"): ImageReference {
  const reference = parseImageReference(name);
  if (!reference) throw new ExecutorError(`invalid ${what} image name: ${name}`);
  return reference;
}

export interface Mounts {
  /** `HostConfig.Binds` */
  binds: string[];
  /** `Config.Volumes` keys: anonymous volumes. */
  anonymous: string[];
}

/** The builds directory at /builds plus the executor's `volumes` option. */
export function mountsFor(hostBuildsDir: string, volumes: readonly string[] = []): Mounts {
  const mounts: Mounts = { binds: [`${hostBuildsDir}:${JOB_BUILDS_DIR}`], anonymous: [] };
  for (const spec of volumes) {
    const parts = spec.split(":");
    const [source, target, mode] = parts;
    if (parts.length === 1 && source!.startsWith("/")) {
      mounts.anonymous.push(source!);
      continue;
    }
    const validMode = mode === undefined || /^[A-Za-z]+(,[A-Za-z]+)*$/.test(mode);
    if (parts.length > 3 || !source || !target?.startsWith("/") || !validMode) {
      throw new ExecutorError(
        `invalid volume "${spec}": use host:container[:ro|rw] or /container/path`,
      );
    }
    mounts.binds.push(spec);
  }
  return mounts;
}

export interface PlannedService {
  index: number;
  definition: JobService;
  reference: ImageReference;
  /** Network aliases (hostnames) this service gets, in order. */
  aliases: string[];
  containerName: string;
  /** `name:version` as the log shows it. */
  displayName: string;
}

/** Decides which services start and under which hostnames, with the runner's warnings. */
export function planServices(
  services: readonly JobService[],
  names: ResourceNames,
): { services: PlannedService[]; warnings: string[] } {
  const taken = new Set<string>();
  const planned: PlannedService[] = [];
  const warnings: string[] = [];
  services.forEach((definition, index) => {
    checkExecutorOptions(definition, "services");
    const reference = imageReferenceOf(definition.name, "service");
    const candidates = [...defaultServiceAliases(reference), ...splitAliases(definition.alias)];
    const aliases: string[] = [];
    for (const alias of candidates) {
      if (taken.has(alias)) {
        warnings.push(`Service ${definition.name} is already created. Ignoring.`);
        continue;
      }
      taken.add(alias);
      aliases.push(alias);
    }
    if (aliases.length === 0) return;
    const slug = serviceName(reference)
      .replaceAll("/", "__")
      .replace(/[^a-zA-Z0-9_.-]/g, "_");
    const version = serviceVersion(reference);
    planned.push({
      index,
      definition,
      reference,
      aliases,
      containerName: `${names.base}-${slug}-${index}`,
      displayName: version.startsWith("@")
        ? `${serviceName(reference)}${version}`
        : `${serviceName(reference)}:${version}`,
    });
  });
  return { services: planned, warnings };
}

/** `POST /networks/create` body. */
export function networkCreateBody(
  names: ResourceNames,
  labels: Record<string, string>,
): Record<string, unknown> {
  return { Name: names.network, Driver: "bridge", CheckDuplicate: true, Labels: labels };
}

/** An entrypoint override: a non-empty list replaces the image's; `[""]` clears it. */
function entrypointOf(image: JobImage): string[] | undefined {
  return image.entrypoint && image.entrypoint.length > 0 ? [...image.entrypoint] : undefined;
}

export interface BuildContainerInput {
  payload: JobPayload;
  image: JobImage;
  imageId: string;
  names: ResourceNames;
  labels: Record<string, string>;
  mounts: Mounts;
  privileged: boolean;
  /** The executor's `user` option: wins over `image:docker:user`. */
  user?: string;
}

/** `POST /containers/create` body of the job container: the shell reads each step on stdin. */
export function buildContainerBody(input: BuildContainerInput): Record<string, unknown> {
  const { names } = input;
  const user = input.user || input.image.executor_opts?.docker?.user;
  return {
    Image: input.imageId,
    Hostname: names.base.slice(0, 63),
    Cmd: shellDetectionCommand(),
    Entrypoint: entrypointOf(input.image),
    Env: jobEnvironment(input.payload.variables),
    Labels: input.labels,
    User: user ? String(user) : undefined,
    Tty: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Volumes: volumesField(input.mounts),
    HostConfig: {
      Binds: input.mounts.binds,
      Privileged: input.privileged,
      NetworkMode: names.network,
      RestartPolicy: { Name: "no" },
    },
    NetworkingConfig: {
      EndpointsConfig: { [names.network]: { Aliases: ["build", names.build] } },
    },
  };
}

export interface ServiceContainerInput {
  payload: JobPayload;
  service: PlannedService;
  imageId: string;
  names: ResourceNames;
  labels: Record<string, string>;
  mounts: Mounts;
  privileged: boolean;
}

/** `POST /containers/create` body of one service container. */
export function serviceContainerBody(input: ServiceContainerInput): Record<string, unknown> {
  const { definition } = input.service;
  return {
    Image: input.imageId,
    Env: serviceEnvironment(input.payload.variables, definition),
    Cmd: definition.command && definition.command.length > 0 ? [...definition.command] : undefined,
    Entrypoint: entrypointOf(definition),
    User: definition.executor_opts?.docker?.user
      ? String(definition.executor_opts.docker.user)
      : undefined,
    Labels: input.labels,
    Volumes: volumesField(input.mounts),
    HostConfig: {
      Binds: input.mounts.binds,
      Privileged: input.privileged,
      NetworkMode: input.names.network,
      RestartPolicy: { Name: "no" },
    },
    NetworkingConfig: {
      EndpointsConfig: { [input.names.network]: { Aliases: input.service.aliases } },
    },
  };
}

function volumesField(mounts: Mounts): Record<string, object> | undefined {
  if (mounts.anonymous.length === 0) return undefined;
  return Object.fromEntries(mounts.anonymous.map((path) => [path, {}]));
}

const MAX_HEALTH_CHECK_PORTS = 20;

/** The TCP ports the readiness wait dials, from the service container's env and exposed ports. */
export function healthCheckPorts(
  env: readonly string[] | null | undefined,
  exposedPorts: Record<string, unknown> | null | undefined,
): { ports: number[] } | { error: string } {
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    if (eq < 0 || entry.slice(0, eq).toUpperCase() !== "HEALTHCHECK_TCP_PORT") continue;
    const value = entry.slice(eq + 1);
    const port = Number(value);
    if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) {
      return { error: `invalid health check tcp port: ${value}` };
    }
    return { ports: [port] };
  }
  const ports: number[] = [];
  for (const key of Object.keys(exposedPorts ?? {})) {
    const match = /^([0-9]+)(?:-([0-9]+))?\/tcp$/.exec(key);
    if (!match) continue;
    const first = Number(match[1]);
    const last = match[2] ? Number(match[2]) : first;
    for (let port = first; port <= last && ports.length < MAX_HEALTH_CHECK_PORTS; port++) {
      ports.push(port);
    }
  }
  ports.sort((a, b) => a - b);
  return ports.length > 0 ? { ports } : { error: "service has no exposed TCP ports" };
}

export { serviceWarningLines } from "@conveyor/runner";
