/**
 * @conveyor/executor-kubernetes: runs jobs in pods through the Kubernetes API, as gitlab-runner's
 * Kubernetes executor does (one pod per job with build, helper and service containers; steps
 * through the exec API; the build directory copied in and out through the helper container).
 */
export { KubernetesExecutor, defaultRunnerId, namespaceOf } from "./executor.js";
export {
  type ContainerResources,
  DEFAULT_HELPER_IMAGE,
  JOB_BUILDS_DIR,
  type KubernetesExecutorOptions,
  type KubernetesVolumes,
  type VolumeMount,
} from "./options.js";
export { KubernetesSession } from "./session.js";
export {
  SessionRegistry,
  liveKubernetesSessions,
  cleanupOnSignals,
  type Cleanable,
} from "./registry.js";
export { removeStaleResources, type StaleOptions, type StaleRemoval } from "./stale.js";
export {
  buildPod,
  type JobIdentity,
  LABELS,
  type PlannedService,
  type PodPlan,
  type PodPlanInput,
  registrySecretOf,
} from "./pod-spec.js";
export { parseQuantity } from "./quantity.js";
