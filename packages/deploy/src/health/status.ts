/**
 * The health of one live object, computed from that object alone (no API calls): a port of the
 * kstatus model (kubernetes-sigs/cli-utils pkg/kstatus/status, notes a.2) with kubectl's
 * Deployment rollout rules (kubectl pkg/polymorphichelpers/rollout_status.go, notes a.1), and
 * two stricter choices for a deploy: a Job is Current only once complete, and a LoadBalancer
 * Service only once it has an ingress address (as Argo CD's health checks do).
 *
 * Each result carries a one-line message for progress logs ("1 of 2 updated replicas
 * available").
 */
import { groupOf } from "../refs.js";
import type { Health, KubeObject } from "../types.js";
import { condition, list, num, reasonText, record, spec, status, str } from "./fields.js";

export interface ObjectStatus {
  health: Health;
  message: string;
}

const current = (message: string): ObjectStatus => ({ health: "Current", message });
const inProgress = (message: string): ObjectStatus => ({ health: "InProgress", message });
const failed = (message: string): ObjectStatus => ({ health: "Failed", message });

function generationObserved(object: KubeObject): boolean {
  const observed = status(object).observedGeneration;
  const generation = object.metadata.generation;
  return typeof observed !== "number" || typeof generation !== "number" || observed >= generation;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** kubectl's Deployment rules (rollout_status.go DeploymentStatusViewer), in its order. */
export function deploymentStatus(object: KubeObject): ObjectStatus {
  const desired = num(spec(object).replicas, 1);
  const s = status(object);
  if (!generationObserved(object)) return inProgress("spec update not observed yet");
  const progressing = condition(object, "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return failed(
      `progress deadline exceeded${progressing.message ? `: ${progressing.message}` : ""}`,
    );
  }
  if (spec(object).paused === true)
    return inProgress("paused (spec.paused): the rollout does not progress");
  const updated = num(s.updatedReplicas);
  const replicas = num(s.replicas);
  const available = num(s.availableReplicas);
  if (updated < desired) return inProgress(`${updated} of ${desired} replicas updated`);
  if (replicas > updated)
    return inProgress(`${plural(replicas - updated, "old replica")} pending termination`);
  if (available < updated)
    return inProgress(`${available} of ${updated} updated replicas available`);
  return current(`${plural(available, "replica")} available`);
}

/** kubectl's StatefulSet rules and kstatus's OnDelete shortcut. */
export function statefulSetStatus(object: KubeObject): ObjectStatus {
  const sp = spec(object);
  const s = status(object);
  const strategy = record(sp.updateStrategy);
  if (strategy.type === "OnDelete")
    return current("updateStrategy OnDelete: pods are replaced by hand");
  if (typeof s.observedGeneration !== "number" || !generationObserved(object)) {
    return inProgress("spec update not observed yet");
  }
  const desired = num(sp.replicas, 1);
  const ready = num(s.readyReplicas);
  if (ready < desired) return inProgress(`${ready} of ${desired} replicas ready`);
  const updated = num(s.updatedReplicas);
  if (strategy.rollingUpdate !== undefined) {
    const partition = num(record(strategy.rollingUpdate).partition);
    const wanted = Math.max(0, desired - partition);
    if (updated < wanted) return inProgress(`${updated} of ${wanted} replicas updated`);
    return current(`${plural(ready, "replica")} ready`);
  }
  if (s.updateRevision !== s.currentRevision) {
    return inProgress(
      `${updated} of ${desired} replicas updated to revision ${str(s.updateRevision) ?? "?"}`,
    );
  }
  return current(`${plural(ready, "replica")} ready`);
}

/** kubectl's DaemonSet rules. */
export function daemonSetStatus(object: KubeObject): ObjectStatus {
  const s = status(object);
  if (record(spec(object).updateStrategy).type === "OnDelete") {
    return current("updateStrategy OnDelete: pods are replaced by hand");
  }
  if (!generationObserved(object)) return inProgress("spec update not observed yet");
  const desired = num(s.desiredNumberScheduled);
  const updated = num(s.updatedNumberScheduled);
  const available = num(s.numberAvailable);
  if (updated < desired) return inProgress(`${updated} of ${desired} updated pods scheduled`);
  if (available < desired) return inProgress(`${available} of ${desired} updated pods available`);
  return current(`${plural(available, "pod")} available`);
}

/** kstatus's ReplicaSet rules. */
export function replicaSetStatus(object: KubeObject): ObjectStatus {
  const s = status(object);
  if (!generationObserved(object)) return inProgress("spec update not observed yet");
  const failure = condition(object, "ReplicaFailure");
  if (failure?.status === "True") return inProgress(`replica failure: ${reasonText(failure)}`);
  const desired = num(spec(object).replicas, 1);
  const available = num(s.availableReplicas);
  const ready = num(s.readyReplicas);
  if (num(s.replicas) > desired)
    return inProgress(`${num(s.replicas) - desired} extra pods terminating`);
  if (ready < desired) return inProgress(`${ready} of ${desired} replicas ready`);
  if (available < desired) return inProgress(`${available} of ${desired} replicas available`);
  return current(`${plural(available, "replica")} available`);
}

/** A Job is Current once complete (or suspended), Failed on its Failed condition. */
export function jobStatus(object: KubeObject): ObjectStatus {
  const failedCondition = condition(object, "Failed");
  if (failedCondition?.status === "True")
    return failed(`job failed: ${reasonText(failedCondition)}`);
  if (condition(object, "Complete")?.status === "True") return current("complete");
  if (condition(object, "Suspended")?.status === "True") return current("suspended");
  const s = status(object);
  const completions = num(spec(object).completions, 1);
  return inProgress(`${num(s.succeeded)} of ${completions} completions, ${num(s.active)} active`);
}

export function podStatus(object: KubeObject): ObjectStatus {
  const s = status(object);
  const phase = str(s.phase) ?? "Pending";
  if (phase === "Succeeded") return current("succeeded");
  if (phase === "Failed")
    return failed(
      `pod failed${s.reason || s.message ? `: ${reasonText({ reason: str(s.reason), message: str(s.message) })}` : ""}`,
    );
  if (phase === "Running" && condition(object, "Ready")?.status === "True")
    return current("running and ready");
  return inProgress(phase === "Running" ? "running, not ready" : `phase ${phase}`);
}

export function serviceStatus(object: KubeObject): ObjectStatus {
  if (spec(object).type !== "LoadBalancer") return current("service ready");
  const ingress = list(record(status(object).loadBalancer).ingress);
  if (ingress.length === 0) return inProgress("waiting for a load balancer address");
  const address = str(ingress[0]?.ip) ?? str(ingress[0]?.hostname) ?? "";
  return current(`load balancer ${address}`.trim());
}

export function persistentVolumeClaimStatus(object: KubeObject): ObjectStatus {
  const phase = str(status(object).phase) ?? "Pending";
  if (phase === "Bound") return current("bound");
  if (phase === "Lost") return failed("claim lost its volume (phase Lost)");
  return inProgress(`phase ${phase}`);
}

export function customResourceDefinitionStatus(object: KubeObject): ObjectStatus {
  const names = condition(object, "NamesAccepted");
  if (names?.status === "False") return failed(`names not accepted: ${reasonText(names)}`);
  const established = condition(object, "Established");
  if (established?.status === "True") return current("established");
  if (established?.status === "False" && established.reason !== "Installing") {
    return failed(`not established: ${reasonText(established)}`);
  }
  return inProgress("not established yet");
}

/** kstatus's generic rules: Reconciling/Stalled, then Ready or Available, else Current. */
export function genericStatus(object: KubeObject): ObjectStatus {
  if (!generationObserved(object)) return inProgress("spec update not observed yet");
  const reconciling = condition(object, "Reconciling");
  if (reconciling?.status === "True")
    return inProgress(`reconciling${reconciling.reason ? `: ${reasonText(reconciling)}` : ""}`);
  const stalled = condition(object, "Stalled");
  if (stalled?.status === "True")
    return failed(`stalled${stalled.reason ? `: ${reasonText(stalled)}` : ""}`);
  for (const type of ["Ready", "Available"]) {
    const found = condition(object, type);
    if (found?.status === "True") return current(type.toLowerCase());
    if (found)
      return inProgress(
        `not ${type.toLowerCase()}${found.reason || found.message ? `: ${reasonText(found)}` : ""}`,
      );
  }
  return current("applied");
}

const BY_KIND: Record<string, (object: KubeObject) => ObjectStatus> = {
  "apps|Deployment": deploymentStatus,
  "apps|StatefulSet": statefulSetStatus,
  "apps|DaemonSet": daemonSetStatus,
  "apps|ReplicaSet": replicaSetStatus,
  "batch|Job": jobStatus,
  "|Pod": podStatus,
  "|Service": serviceStatus,
  "|PersistentVolumeClaim": persistentVolumeClaimStatus,
  "apiextensions.k8s.io|CustomResourceDefinition": customResourceDefinitionStatus,
};

/** The health of a live object; `undefined` (not found) is NotFound. */
export function objectStatus(object: KubeObject | undefined): ObjectStatus {
  if (object === undefined) return { health: "NotFound", message: "not found" };
  if (
    object.metadata.deletionTimestamp !== undefined &&
    object.metadata.deletionTimestamp !== null
  ) {
    return { health: "Terminating", message: "being deleted" };
  }
  const rule = BY_KIND[`${groupOf(object.apiVersion)}|${object.kind}`] ?? genericStatus;
  return rule(object);
}
