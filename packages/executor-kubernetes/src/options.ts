/**
 * What a KubernetesExecutor can be configured with: the settings gitlab-runner keeps in
 * `[runners.kubernetes]` of config.toml
 * (https://docs.gitlab.com/runner/executors/kubernetes/#configuration-settings), named for this
 * executor, with their defaults.
 */
import type { KubeConfig, V1Affinity } from "@kubernetes/client-node";
import type { PullPolicy } from "@conveyor/protocol";
import type { KubernetesResourceSettings } from "@conveyor/runner";
import type { SessionRegistry } from "./registry.js";

/**
 * Requests and limits of one kind of container (build, helper or service), as Kubernetes
 * quantities (`500m`, `2`, `512Mi`). A job may set its own through the `KUBERNETES_*` variables
 * only when the matching `…OverwriteMaxAllowed` is set, and only up to it
 * (https://docs.gitlab.com/runner/executors/kubernetes/#overwrite-container-resources).
 * The same fields as the runner's `[runners.kubernetes]` settings.
 */
export type ContainerResources = KubernetesResourceSettings;

/** Where a volume appears in the build and service containers. */
export interface VolumeMount {
  /** The volume's name; for `pvc`, `configMap` and `secret` also the object it mounts. */
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

/** gitlab-runner's `[[runners.kubernetes.volumes.*]]` tables. */
export interface KubernetesVolumes {
  /** A PersistentVolumeClaim named `name`. */
  pvc?: VolumeMount[];
  /** A node path, `hostPath` (default: the mount path). */
  hostPath?: (VolumeMount & { hostPath?: string })[];
  /** A ConfigMap named `name`; `items` maps keys to paths inside the mount. */
  configMap?: (VolumeMount & { items?: Record<string, string> })[];
  /** A Secret named `name`; `items` maps keys to paths inside the mount. */
  secret?: (VolumeMount & { items?: Record<string, string> })[];
  /** A scratch volume for the pod's lifetime; `medium` `Memory` for tmpfs. */
  emptyDir?: (VolumeMount & { medium?: string; sizeLimit?: string })[];
}

export interface KubernetesExecutorOptions {
  /** API client configuration; default `KubeConfig.loadFromDefault()` (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  /**
   * Namespace of the job pods (gitlab-runner's `namespace`). Default: the namespace of the client
   * configuration's current context (kubectl's), else `default`.
   */
  namespace?: string;
  /** Image for jobs without `image:` (gitlab-runner's `image`). Without one such jobs fail. */
  defaultImage?: string;
  /** The helper container's image: needs `sh`, `tar`, `rm`, and `nc` for service health checks. */
  helperImage?: string;
  /** Pull policies for images whose job gives none; the first one is used. Default `["if-not-present"]`. */
  pullPolicy?: PullPolicy[];
  /** Policies a job's `image:pull_policy` may choose from (gitlab-runner's `allowed_pull_policies`); default `pullPolicy`. */
  allowedPullPolicies?: PullPolicy[];
  /** `serviceAccountName` of the job pods (gitlab-runner's `service_account`). */
  serviceAccount?: string;
  /** Secrets with registry credentials, by name (gitlab-runner's `image_pull_secrets`). */
  imagePullSecrets?: string[];
  /** gitlab-runner's `node_selector`. */
  nodeSelector?: Record<string, string>;
  /**
   * gitlab-runner's `node_tolerations`: `"key=value" = "Effect"`, `"key" = "Effect"` (any value),
   * an empty effect for every effect.
   */
  nodeTolerations?: Record<string, string>;
  /** Passed to the pod spec as it is (gitlab-runner's `affinity`). */
  affinity?: V1Affinity;
  /** Requests and limits of the build container (gitlab-runner's `cpu_request`, …). */
  build?: ContainerResources;
  /** Requests and limits of the helper container (`helper_cpu_request`, …). */
  helper?: ContainerResources;
  /** Requests and limits of each service container (`service_cpu_request`, …). */
  service?: ContainerResources;
  /** Extra volumes for the build and service containers. */
  volumes?: KubernetesVolumes;
  /** Run the build and service containers privileged. Default false. */
  privileged?: boolean;
  /** Extra labels and annotations on every pod (gitlab-runner's `pod_labels`, `pod_annotations`). */
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  /** The pod's `terminationGracePeriodSeconds` (gitlab-runner's `pod_termination_grace_period_seconds`). */
  terminationGracePeriodSeconds?: number;
  /** How often the pod's state is read while it starts. Default 250 ms (gitlab-runner's `poll_interval` is 3 s). */
  pollIntervalMs?: number;
  /** How long prepare waits for the pod to run (gitlab-runner's `poll_timeout`). Default 180 000 ms. */
  pollTimeoutMs?: number;
  /** How long prepare waits for each service's `HEALTHCHECK_TCP_PORT`. Default 30 000 ms; ≤ 0 skips it. */
  waitForServicesTimeoutMs?: number;
  /** The runner's short id: in pod names (`runner-<id>-project-…`) and the runner label. Default from the host name. */
  runnerId?: string;
  /** Remove pods and secrets a crashed runner left in the namespace on the first prepare. Default true. */
  removeStale?: boolean;
  /** Where live sessions are kept for `cleanupAll()`; default `liveKubernetesSessions`. */
  registry?: SessionRegistry;
}

/** The helper image on the Conveyor test rig; set `helperImage` elsewhere. */
export const DEFAULT_HELPER_IMAGE = "local/busybox:latest";
export const DEFAULT_NAMESPACE = "default";
export const DEFAULT_PULL_POLICY: readonly PullPolicy[] = ["if-not-present"];
export const DEFAULT_POLL_INTERVAL_MS = 250;
export const DEFAULT_POLL_TIMEOUT_MS = 180_000;
export const DEFAULT_WAIT_FOR_SERVICES_MS = 30_000;
/** The job's directory in the build, helper and service containers (an emptyDir volume). */
export const JOB_BUILDS_DIR = "/builds";
/** A second emptyDir, in the build container only: the steps' pid files. */
export const STEPS_DIR = "/conveyor-steps";
