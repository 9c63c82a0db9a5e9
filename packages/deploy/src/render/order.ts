/**
 * The order objects are applied in (kubernetes-deploy-notes.md b.5): Namespaces, then
 * CustomResourceDefinitions (a custom resource cannot be validated before its CRD is
 * established), then configuration the workloads read (ServiceAccounts, Secrets, ConfigMaps,
 * storage, RBAC with roles before their bindings, as kapp orders them), Services, workloads,
 * routes (Ingress, Gateway API routes), and everything else last. The sort is stable: objects
 * of one group keep the order they were written in. Pruning deletes in the reverse order.
 */
import { groupOf } from "../refs.js";

export const APPLY_GROUPS = [
  "namespace",
  "crd",
  "config",
  "rbac-role",
  "rbac-binding",
  "service",
  "workload",
  "route",
  "other",
] as const;
export type ApplyGroup = (typeof APPLY_GROUPS)[number];

const BY_GROUP_KIND: Record<string, ApplyGroup> = {
  "|Namespace": "namespace",
  "apiextensions.k8s.io|CustomResourceDefinition": "crd",
  "|ServiceAccount": "config",
  "|Secret": "config",
  "|ConfigMap": "config",
  "|PersistentVolumeClaim": "config",
  "|PersistentVolume": "config",
  "|LimitRange": "config",
  "|ResourceQuota": "config",
  "storage.k8s.io|StorageClass": "config",
  "scheduling.k8s.io|PriorityClass": "config",
  "rbac.authorization.k8s.io|Role": "rbac-role",
  "rbac.authorization.k8s.io|ClusterRole": "rbac-role",
  "rbac.authorization.k8s.io|RoleBinding": "rbac-binding",
  "rbac.authorization.k8s.io|ClusterRoleBinding": "rbac-binding",
  "|Service": "service",
  "apps|Deployment": "workload",
  "apps|StatefulSet": "workload",
  "apps|DaemonSet": "workload",
  "apps|ReplicaSet": "workload",
  "|ReplicationController": "workload",
  "|Pod": "workload",
  "batch|Job": "workload",
  "batch|CronJob": "workload",
  "networking.k8s.io|Ingress": "route",
  "extensions|Ingress": "route",
  "gateway.networking.k8s.io|HTTPRoute": "route",
  "gateway.networking.k8s.io|GRPCRoute": "route",
  "gateway.networking.k8s.io|TLSRoute": "route",
  "gateway.networking.k8s.io|TCPRoute": "route",
  "gateway.networking.k8s.io|UDPRoute": "route",
};

/** Which apply group an object of this apiVersion and kind belongs to. */
export function applyGroupOf(apiVersion: string, kind: string): ApplyGroup {
  return BY_GROUP_KIND[`${groupOf(apiVersion)}|${kind}`] ?? "other";
}

/** The items sorted into apply order, stable within a group. */
export function sortForApply<T>(
  items: readonly T[],
  typeOf: (item: T) => { apiVersion: string; kind: string },
): T[] {
  const rank = (item: T): number => {
    const { apiVersion, kind } = typeOf(item);
    return APPLY_GROUPS.indexOf(applyGroupOf(apiVersion, kind));
  };
  return items
    .map((item, index) => ({ item, index, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ item }) => item);
}
