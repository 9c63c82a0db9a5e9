/**
 * The pure half of the Kubernetes executor: from the job payload and the executor's options to
 * the pod it creates (and the Secret holding the job's registry credentials), the names and
 * labels of both, the services' hostnames and pull policies. No I/O.
 *
 * GitLab facts (https://docs.gitlab.com/runner/executors/kubernetes/, gitlab-runner
 * `executors/kubernetes/kubernetes.go`) unless noted:
 * - one pod per job, named `runner-<runner short id>-project-<project id>-concurrent-<n>-<random>`,
 *   with a `build` container from the job's image, a `helper` container, and one container per
 *   service (`svc-0`, `svc-1`, …); the build directory is an emptyDir mounted in all of them;
 * - every container of a pod shares its network namespace, so a service listens on the pod's
 *   localhost: each service alias is mapped to 127.0.0.1 through the pod's `hostAliases`
 *   (https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/), which needs no
 *   cluster DNS. Host names must be DNS-1123 subdomains: a default alias that is not one
 *   (`group__image`) is dropped, an explicit one is dropped with a warning;
 * - `image:entrypoint` replaces the image's ENTRYPOINT (the container's `command`), `[""]` clears
 *   it; `services:command` is the service container's `args`
 *   (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/);
 * - `image:kubernetes:user` is the container's user (`uid` or `uid:gid`); other
 *   `executor_opts.kubernetes` keys fail the job;
 * - the pull policy is the job's `image:pull_policy` when the runner allows it
 *   (`allowed_pull_policies`), else the runner's `pull_policy`: `always` → `Always`,
 *   `if-not-present` → `IfNotPresent`, `never` → `Never`;
 * - registry credentials of the payload become a `kubernetes.io/dockerconfigjson` Secret named in
 *   the pod's `imagePullSecrets` (https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets).
 */
import type {
  V1Container,
  V1Pod,
  V1Secret,
  V1SecurityContext,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { JobImage, JobPayload, JobService, PullPolicy } from "@conveyor/protocol";
import {
  checkExecutorOptions as checkOptions,
  ExecutorError,
  resolveJobImage,
} from "@conveyor/runner";
import {
  DEFAULT_HELPER_IMAGE,
  DEFAULT_PULL_POLICY,
  JOB_BUILDS_DIR,
  type KubernetesExecutorOptions,
  type KubernetesVolumes,
  STEPS_DIR,
} from "./options.js";
import { resolveResources } from "./resources.js";
import { BUILD_KEEPALIVE, HELPER_KEEPALIVE } from "./shell.js";
import { buildEnvironment, serviceEnvironment } from "./variables.js";

export const LABEL_PREFIX = "conveyor.dev";
/** Labels on every pod and Secret the executor creates: what finds them again. */
export const LABELS = {
  managed: `${LABEL_PREFIX}/managed`,
  runner: `${LABEL_PREFIX}/runner`,
  jobId: `${LABEL_PREFIX}/job-id`,
  projectId: `${LABEL_PREFIX}/project-id`,
  pipelineId: `${LABEL_PREFIX}/pipeline-id`,
  session: `${LABEL_PREFIX}/session`,
  ownerHost: `${LABEL_PREFIX}/owner-host`,
  ownerPid: `${LABEL_PREFIX}/owner-pid`,
} as const;
export const JOB_NAME_ANNOTATION = `${LABEL_PREFIX}/job-name`;

export const BUILD_CONTAINER = "build";
export const HELPER_CONTAINER = "helper";
const BUILDS_VOLUME = "conveyor-builds";
const STEPS_VOLUME = "conveyor-steps";

/** Who owns a pod: the job, and the executor session (process) that made it. */
export interface JobIdentity {
  jobId: number;
  jobName: string;
  pipelineId: number;
  projectId: number;
  /** `CI_CONCURRENT_ID`: the build slot. */
  concurrentId: number;
  /** The runner's short id (pod names, the runner label). */
  runnerId: string;
  /** Random per prepare (lowercase hex): ends the pod name, so reruns never collide. */
  sessionId: string;
  ownerPid: number;
  ownerHost: string;
}

export function identityOf(
  payload: JobPayload,
  session: Omit<JobIdentity, "jobId" | "jobName" | "pipelineId" | "projectId">,
): JobIdentity {
  return {
    jobId: payload.id,
    jobName: payload.job_info.name,
    pipelineId: payload.job_info.pipeline_id,
    projectId: payload.job_info.project_id,
    ...session,
  };
}

/** A label value: at most 63 of `[A-Za-z0-9._-]`, starting and ending alphanumeric. */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** A DNS-1123 label fragment: lowercase alphanumerics and dashes. */
function nameFragment(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function podNameOf(identity: JobIdentity): string {
  return [
    "runner",
    nameFragment(identity.runnerId).slice(0, 8) || "conveyor",
    "project",
    identity.projectId,
    "concurrent",
    identity.concurrentId,
    nameFragment(identity.sessionId),
  ].join("-");
}

export function labelsOf(
  identity: JobIdentity,
  custom: Record<string, string> = {},
): Record<string, string> {
  return {
    ...custom,
    [LABELS.managed]: "true",
    [LABELS.runner]: labelValue(identity.runnerId),
    [LABELS.jobId]: String(identity.jobId),
    [LABELS.projectId]: String(identity.projectId),
    [LABELS.pipelineId]: String(identity.pipelineId),
    [LABELS.session]: labelValue(identity.sessionId),
    [LABELS.ownerHost]: labelValue(identity.ownerHost),
    [LABELS.ownerPid]: String(identity.ownerPid),
  };
}

/** The job's image: `image:` of the payload, else the executor's default. */
export { resolveJobImage };

const SUPPORTED_KUBERNETES_OPTIONS = ["user"];

/** Fails on `executor_opts.kubernetes` keys this executor does not know (the runner's wording). */
export function checkExecutorOptions(image: JobImage, what: "image" | "services"): void {
  checkOptions(image, what, "kubernetes", SUPPORTED_KUBERNETES_OPTIONS);
}

const POLICIES: Record<PullPolicy, string> = {
  always: "Always",
  "if-not-present": "IfNotPresent",
  never: "Never",
};

/** The container's `imagePullPolicy` for an image, within what the runner allows. */
export function resolvePullPolicy(
  image: Pick<JobImage, "name" | "pull_policy">,
  options: Pick<KubernetesExecutorOptions, "pullPolicy" | "allowedPullPolicies">,
): string {
  const runner =
    options.pullPolicy && options.pullPolicy.length > 0 ? options.pullPolicy : DEFAULT_PULL_POLICY;
  for (const policy of [...runner, ...(options.allowedPullPolicies ?? [])]) {
    if (!(policy in POLICIES)) {
      throw new ExecutorError(
        `unsupported pull_policy "${String(policy)}"; use always, if-not-present or never`,
      );
    }
  }
  const wanted = image.pull_policy ?? [];
  if (wanted.length === 0) return POLICIES[runner[0]!];
  const allowed =
    options.allowedPullPolicies && options.allowedPullPolicies.length > 0
      ? options.allowedPullPolicies
      : runner;
  const usable = wanted.filter((policy) => allowed.includes(policy));
  if (usable.length === 0) {
    throw new ExecutorError(
      `pull_policy ([${wanted.join(" ")}]) defined in GitLab pipeline config is not one of the ` +
        `allowed_pull_policies ([${allowed.join(" ")}]) of image ${image.name}`,
    );
  }
  return POLICIES[usable[0]!];
}

/** The image name without tag, digest and registry port (gitlab-runner's "service" name). */
export function serviceBaseName(image: string): string {
  let name = image.split("@")[0]!;
  if (name.lastIndexOf(":") > name.lastIndexOf("/")) name = name.slice(0, name.lastIndexOf(":"));
  const parts = name.split("/");
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    parts[0] = first.replace(/:[0-9]+$/, "");
  }
  return parts.join("/");
}

/** `@sha256:…`, the tag, or `latest`: how the runner names a service's version in its log. */
function imageVersion(image: string): string {
  const at = image.indexOf("@");
  if (at >= 0) return image.slice(at);
  const colon = image.lastIndexOf(":");
  return colon > image.lastIndexOf("/") ? image.slice(colon + 1) : "latest";
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface PlannedService {
  index: number;
  definition: JobService;
  containerName: string;
  /** Host names mapped to 127.0.0.1 for this service. */
  aliases: string[];
  /** `name:version` as the log shows it. */
  displayName: string;
}

/**
 * The services' containers and host names: the image's default names (`/` → `__`, then `/` →
 * `-`) and the `alias:` list (commas or spaces); a name an earlier service took is skipped with
 * the runner's warning. Unlike the Docker executor a service whose names are all taken still
 * runs: every container of the pod shares one localhost anyway.
 */
export function planServices(services: readonly JobService[]): {
  services: PlannedService[];
  warnings: string[];
} {
  const taken = new Set<string>();
  const warnings: string[] = [];
  const planned = services.map((definition, index) => {
    checkExecutorOptions(definition, "services");
    if (!definition.name) throw new ExecutorError(`service ${index} has no image name`);
    const base = serviceBaseName(definition.name);
    const explicit = (definition.alias ?? "").split(/[\s,]+/).filter((a) => a !== "");
    const candidates = [...new Set([base.replaceAll("/", "__"), base.replaceAll("/", "-")])].map(
      (name) => ({ name, explicit: false }),
    );
    candidates.push(...explicit.map((name) => ({ name, explicit: true })));
    const aliases: string[] = [];
    for (const { name, explicit: given } of candidates) {
      if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
        if (given) warnings.push(`Service alias "${name}" is not a valid host name. Ignoring.`);
        continue;
      }
      if (taken.has(name)) {
        warnings.push(`Service ${definition.name} is already created. Ignoring.`);
        continue;
      }
      taken.add(name);
      aliases.push(name);
    }
    const version = imageVersion(definition.name);
    return {
      index,
      definition,
      containerName: `svc-${index}`,
      aliases,
      displayName: version.startsWith("@") ? `${base}${version}` : `${base}:${version}`,
    };
  });
  return { services: planned, warnings };
}

/**
 * gitlab-runner's `node_tolerations` map: `key=value` → Equal, `key` → Exists (an empty key
 * tolerates every taint); an empty effect matches every effect.
 */
export function tolerationsOf(map: Record<string, string> | undefined): V1Toleration[] {
  return Object.entries(map ?? {}).map(([spec, effect]) => {
    const eq = spec.indexOf("=");
    const toleration: V1Toleration =
      eq >= 0
        ? { key: spec.slice(0, eq), operator: "Equal", value: spec.slice(eq + 1) }
        : { operator: "Exists", ...(spec !== "" ? { key: spec } : {}) };
    if (effect !== "") toleration.effect = effect;
    return toleration;
  });
}

/** The user's volumes and where they are mounted. */
export function userVolumes(volumes: KubernetesVolumes | undefined): {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
} {
  const result = { volumes: [] as V1Volume[], mounts: [] as V1VolumeMount[] };
  const names = new Set([BUILDS_VOLUME, STEPS_VOLUME]);
  const add = (
    kind: string,
    spec: { name: string; mountPath: string; readOnly?: boolean; subPath?: string },
    source: Omit<V1Volume, "name">,
  ) => {
    if (!spec.name || !spec.mountPath?.startsWith("/")) {
      throw new ExecutorError(`${kind} volume needs a name and an absolute mount_path`);
    }
    if (names.has(spec.name)) {
      throw new ExecutorError(`volume name "${spec.name}" is used twice (or reserved)`);
    }
    names.add(spec.name);
    result.volumes.push({ name: spec.name, ...source });
    result.mounts.push({
      name: spec.name,
      mountPath: spec.mountPath,
      ...(spec.readOnly ? { readOnly: true } : {}),
      ...(spec.subPath ? { subPath: spec.subPath } : {}),
    });
  };
  const items = (map: Record<string, string> | undefined) =>
    map ? { items: Object.entries(map).map(([key, path]) => ({ key, path })) } : {};
  for (const v of volumes?.pvc ?? []) {
    add("pvc", v, { persistentVolumeClaim: { claimName: v.name, readOnly: v.readOnly === true } });
  }
  for (const v of volumes?.hostPath ?? []) {
    add("host_path", v, { hostPath: { path: v.hostPath || v.mountPath } });
  }
  for (const v of volumes?.configMap ?? []) {
    add("config_map", v, { configMap: { name: v.name, ...items(v.items) } });
  }
  for (const v of volumes?.secret ?? []) {
    add("secret", v, { secret: { secretName: v.name, ...items(v.items) } });
  }
  for (const v of volumes?.emptyDir ?? []) {
    add("empty_dir", v, {
      emptyDir: {
        ...(v.medium ? { medium: v.medium } : {}),
        ...(v.sizeLimit ? { sizeLimit: v.sizeLimit } : {}),
      },
    });
  }
  return result;
}

/** `image:kubernetes:user` (`uid` or `uid:gid`) as a security context. */
function userContext(image: JobImage): V1SecurityContext {
  const user = image.executor_opts?.kubernetes?.user;
  if (user === undefined || user === "") return {};
  const match = /^([0-9]+)(?::([0-9]+))?$/.exec(String(user));
  if (!match) {
    throw new ExecutorError(`kubernetes user "${user}" must be a numeric uid or uid:gid`);
  }
  return {
    runAsUser: Number(match[1]),
    ...(match[2] !== undefined ? { runAsGroup: Number(match[2]) } : {}),
  };
}

function securityContext(image: JobImage, privileged: boolean): V1SecurityContext | undefined {
  const context: V1SecurityContext = { ...userContext(image) };
  if (privileged) context.privileged = true;
  return Object.keys(context).length > 0 ? context : undefined;
}

/** The build container runs its entrypoint (or the override) with the keep-alive shell. */
function buildCommand(image: JobImage): Pick<V1Container, "command" | "args"> {
  const entrypoint = image.entrypoint ?? [];
  if (entrypoint.length === 0) return { args: [...BUILD_KEEPALIVE] };
  if (entrypoint.length === 1 && entrypoint[0] === "") return { command: [...BUILD_KEEPALIVE] };
  return { command: [...entrypoint], args: [...BUILD_KEEPALIVE] };
}

/**
 * A service's `entrypoint` is the container's command and its `command` the args. `[""]` clears
 * the entrypoint: the service's command then runs alone (without one the image's own runs, as
 * Kubernetes cannot ask for the image's CMD without its ENTRYPOINT).
 */
function serviceCommand(service: JobService): Pick<V1Container, "command" | "args"> {
  const entrypoint = service.entrypoint ?? [];
  const command = service.command ?? [];
  if (entrypoint.length === 1 && entrypoint[0] === "") {
    return command.length > 0 ? { command: [...command] } : {};
  }
  return {
    ...(entrypoint.length > 0 ? { command: [...entrypoint] } : {}),
    ...(command.length > 0 ? { args: [...command] } : {}),
  };
}

export interface PodPlanInput {
  payload: JobPayload;
  options: KubernetesExecutorOptions;
  identity: JobIdentity;
  namespace: string;
  /** Secrets made for this job (registry credentials), added to `imagePullSecrets`. */
  jobPullSecrets?: string[];
}

export interface PodPlan {
  pod: V1Pod;
  image: JobImage;
  services: PlannedService[];
  /** For the job log (ignored aliases and resource overrides). */
  warnings: string[];
}

/** The job's pod; throws ExecutorError on what the runner refuses (image, overrides, volumes). */
export function buildPod(input: PodPlanInput): PodPlan {
  const { payload, options, identity } = input;
  const image = resolveJobImage(payload.image, options.defaultImage);
  checkExecutorOptions(image, "image");
  const plan = planServices(payload.services ?? []);
  const warnings = [...plan.warnings];
  const resources = (kind: "build" | "helper" | "service") => {
    const resolved = resolveResources(kind, options[kind], payload.variables);
    warnings.push(...resolved.warnings);
    return resolved.requirements ? { resources: resolved.requirements } : {};
  };
  const user = userVolumes(options.volumes);
  const buildsMount: V1VolumeMount = { name: BUILDS_VOLUME, mountPath: JOB_BUILDS_DIR };
  const privileged = options.privileged === true;

  const build: V1Container = {
    name: BUILD_CONTAINER,
    image: image.name,
    imagePullPolicy: resolvePullPolicy(image, options),
    ...buildCommand(image),
    env: buildEnvironment(payload.variables),
    stdin: true,
    volumeMounts: [buildsMount, { name: STEPS_VOLUME, mountPath: STEPS_DIR }, ...user.mounts],
    ...resources("build"),
  };
  const buildContext = securityContext(image, privileged);
  if (buildContext) build.securityContext = buildContext;

  const helperImage = options.helperImage || DEFAULT_HELPER_IMAGE;
  const helper: V1Container = {
    name: HELPER_CONTAINER,
    image: helperImage,
    imagePullPolicy: resolvePullPolicy({ name: helperImage }, options),
    command: [...HELPER_KEEPALIVE],
    volumeMounts: [buildsMount],
    ...resources("helper"),
  };

  const serviceResources = resources("service");
  const services = plan.services.map((service): V1Container => {
    const definition = service.definition;
    const container: V1Container = {
      name: service.containerName,
      image: definition.name,
      imagePullPolicy: resolvePullPolicy(definition, options),
      ...serviceCommand(definition),
      env: serviceEnvironment(payload.variables, definition),
      volumeMounts: [buildsMount, ...user.mounts],
      ...serviceResources,
    };
    const ports = (definition.ports ?? []).filter((p) => Number.isInteger(p.number));
    if (ports.length > 0) {
      container.ports = ports.map((p) => ({
        containerPort: p.number,
        protocol: (p.protocol ?? "TCP").toUpperCase() === "UDP" ? "UDP" : "TCP",
      }));
    }
    const context = securityContext(definition, privileged);
    if (context) container.securityContext = context;
    return container;
  });

  const hostnames = plan.services.flatMap((service) => service.aliases);
  const pullSecrets = [...(options.imagePullSecrets ?? []), ...(input.jobPullSecrets ?? [])];
  const tolerations = tolerationsOf(options.nodeTolerations);
  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podNameOf(identity),
      namespace: input.namespace,
      labels: labelsOf(identity, options.podLabels),
      annotations: { ...options.podAnnotations, [JOB_NAME_ANNOTATION]: identity.jobName },
    },
    spec: {
      restartPolicy: "Never",
      containers: [build, helper, ...services],
      volumes: [
        { name: BUILDS_VOLUME, emptyDir: {} },
        { name: STEPS_VOLUME, emptyDir: {} },
        ...user.volumes,
      ],
      ...(hostnames.length > 0 ? { hostAliases: [{ ip: "127.0.0.1", hostnames }] } : {}),
      ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}),
      ...(pullSecrets.length > 0
        ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) }
        : {}),
      ...(options.nodeSelector && Object.keys(options.nodeSelector).length > 0
        ? { nodeSelector: { ...options.nodeSelector } }
        : {}),
      ...(tolerations.length > 0 ? { tolerations } : {}),
      ...(options.affinity ? { affinity: options.affinity } : {}),
      ...(options.terminationGracePeriodSeconds !== undefined
        ? { terminationGracePeriodSeconds: options.terminationGracePeriodSeconds }
        : {}),
    },
  };
  return { pod, image, services: plan.services, warnings };
}

/**
 * The Secret with the payload's registry credentials (type `registry`), or undefined when it has
 * none. Its name is the pod's with `-registry`.
 */
export function registrySecretOf(
  payload: JobPayload,
  identity: JobIdentity,
  namespace: string,
  custom: Record<string, string> = {},
): V1Secret | undefined {
  const registries = (payload.credentials ?? []).filter((c) => c.type === "registry");
  if (registries.length === 0) return undefined;
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const c of registries) {
    auths[c.url] = {
      username: c.username,
      password: c.password,
      auth: Buffer.from(`${c.username}:${c.password}`).toString("base64"),
    };
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/dockerconfigjson",
    metadata: {
      name: `${podNameOf(identity)}-registry`,
      namespace,
      labels: labelsOf(identity, custom),
    },
    stringData: { ".dockerconfigjson": JSON.stringify({ auths }) },
  };
}
