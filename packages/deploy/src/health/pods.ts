/**
 * What is wrong with a workload's pods, read from the pods alone (notes a.3): the container
 * waiting reasons that do not go away by waiting (image pull failures, a crash loop, a bad
 * container config), a pod the scheduler cannot place, and a container that runs but whose
 * readiness probe keeps failing. Also: which pods belong to a workload (owner references and
 * label selectors) and which ReplicaSet is a Deployment's current one.
 */
import type { KubeObject } from "../types.js";
import { condition, list, num, record, spec, status, str } from "./fields.js";

/**
 * Container waiting reasons that mean the rollout will not finish by itself. kstatus fails on
 * CrashLoopBackOff (core.go getCrashLoopingContainers); the image and config reasons are the
 * kubelet's (kubernetes pkg/kubelet/images/types.go, pkg/kubelet/kuberuntime).
 */
export const FATAL_WAITING_REASONS: ReadonlySet<string> = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "CrashLoopBackOff",
]);

export type PodProblemKind =
  /** Will not recover: fail now. */
  | "fatal"
  /** PodScheduled=False, reason Unschedulable: fail when it lasts (kstatus: 15 s). */
  | "unschedulable"
  /** Running, has a readiness probe, not ready: fail when it lasts. */
  | "not-ready";

export interface PodProblem {
  kind: PodProblemKind;
  pod: string;
  container?: string;
  reason: string;
  message: string;
  /** The container crashed: its previous run's log says why. */
  crashing: boolean;
}

function lastExit(containerStatus: Record<string, unknown>): string {
  const terminated = record(record(containerStatus.lastState).terminated);
  if (terminated.exitCode === undefined) return "";
  const reason = str(terminated.reason);
  return `; last exit code ${num(terminated.exitCode)}${reason ? ` (${reason})` : ""}`;
}

/** The problems of one pod, worst first. */
export function podProblems(pod: KubeObject): PodProblem[] {
  const name = pod.metadata.name;
  const problems: PodProblem[] = [];
  const s = status(pod);
  const statuses = [...list(s.initContainerStatuses), ...list(s.containerStatuses)];
  for (const containerStatus of statuses) {
    const waiting = record(record(containerStatus.state).waiting);
    const reason = str(waiting.reason);
    if (reason !== undefined && FATAL_WAITING_REASONS.has(reason)) {
      problems.push({
        kind: "fatal",
        pod: name,
        container: str(containerStatus.name) ?? "?",
        reason,
        message: `${str(waiting.message) ?? ""}${lastExit(containerStatus)}`.replace(/^; /, ""),
        crashing: reason === "CrashLoopBackOff",
      });
    }
  }
  const scheduled = condition(pod, "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    problems.push({
      kind: "unschedulable",
      pod: name,
      reason: "Unschedulable",
      message: scheduled.message ?? "",
      crashing: false,
    });
  }
  if (str(s.phase) === "Running") {
    const probed = new Set(
      list(spec(pod).containers)
        .filter((container) => container.readinessProbe !== undefined)
        .map((container) => str(container.name)),
    );
    for (const containerStatus of list(s.containerStatuses)) {
      const containerName = str(containerStatus.name);
      if (
        probed.has(containerName) &&
        containerStatus.ready !== true &&
        record(containerStatus.state).running !== undefined
      ) {
        problems.push({
          kind: "not-ready",
          pod: name,
          container: containerName ?? "?",
          reason: "NotReady",
          message: "running, but its readiness probe does not pass",
          crashing: false,
        });
      }
    }
  }
  return problems;
}

/** The label selector of a `LabelSelector` (matchLabels and matchExpressions) as a query string. */
export function labelSelectorString(selector: unknown): string {
  const parts: string[] = [];
  const labels = record(record(selector).matchLabels);
  for (const key of Object.keys(labels).sort()) parts.push(`${key}=${String(labels[key])}`);
  for (const expression of list(record(selector).matchExpressions)) {
    const key = str(expression.key) ?? "";
    const values = Array.isArray(expression.values) ? expression.values.map(String).join(",") : "";
    switch (expression.operator) {
      case "In":
        parts.push(`${key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${key} notin (${values})`);
        break;
      case "Exists":
        parts.push(key);
        break;
      case "DoesNotExist":
        parts.push(`!${key}`);
        break;
    }
  }
  return parts.join(",");
}

/** Whether `object` names `ownerUid` among its owner references. */
export function isOwnedBy(object: KubeObject, ownerUid: string | undefined): boolean {
  if (!ownerUid) return false;
  return list(object.metadata.ownerReferences).some((owner) => owner.uid === ownerUid);
}

const REVISION = "deployment.kubernetes.io/revision";

function revisionOf(object: KubeObject): number {
  const annotations = record(object.metadata.annotations);
  const value = Number(annotations[REVISION]);
  return Number.isFinite(value) ? value : -1;
}

/**
 * The Deployment's current ReplicaSet among `replicaSets`: owned by it, with the Deployment's
 * own `deployment.kubernetes.io/revision` (notes a.3, Advice), else the highest revision owned.
 */
export function currentReplicaSet(
  deployment: KubeObject,
  replicaSets: readonly KubeObject[],
): KubeObject | undefined {
  const uid = str(deployment.metadata.uid);
  const owned = replicaSets.filter((replicaSet) => isOwnedBy(replicaSet, uid));
  const wanted = revisionOf(deployment);
  const exact = owned.find((replicaSet) => wanted >= 0 && revisionOf(replicaSet) === wanted);
  if (exact) return exact;
  return [...owned].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
}
