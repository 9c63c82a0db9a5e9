/**
 * @conveyor/deploy — the deploy engine: resource sets rendered into immutable versions,
 * previewed with server-side dry-run, applied with server-side apply, waited on until healthy
 * (failing fast with a diagnosis) and pruned against the previous inventory.
 */
export type * from "./types.js";
export { createDeployer, type DeployerOptions } from "./deployer.js";
export { applyVersion, DEFAULT_FIELD_MANAGER, type ApplyTuning } from "./apply/apply.js";
export { mergeInventory, prunable, selectPrunes } from "./apply/prune.js";
export { diffVersion } from "./diff/diff.js";
export { createKubeCluster, kubeConfigFor } from "./cluster/kube-cluster.js";
export {
  type ApplyOptions,
  type Cluster,
  ClusterError,
  type DeleteOptions,
  type ListOptions,
  type LogOptions,
  type PropagationPolicy,
  type ResourceInfo,
  type WatchEventType,
  type WatchHandle,
} from "./cluster/port.js";
export { renderSource, normalizeSource, type RenderOptions } from "./render/render.js";
export { RenderError, type RenderProblem } from "./render/errors.js";
export { fillYaml, fillYamlText, type FilledDocument } from "./render/placeholders.js";
export { applyGroupOf, sortForApply, APPLY_GROUPS, type ApplyGroup } from "./render/order.js";
export { canonicalJson, versionDigest } from "./render/digest.js";
export { objectStatus, type ObjectStatus } from "./health/status.js";
export { podProblems, type PodProblem, type PodProblemKind } from "./health/pods.js";
export {
  waitForHealth,
  type WaitTuning,
  type WaitRequest,
  type WaitResult,
} from "./health/wait.js";
export { refKey, refOf, describeRef } from "./refs.js";
