/**
 * Readies a rendered object for one cluster: namespaced kinds without a namespace get the
 * target's, cluster-scoped kinds lose any namespace (as kubectl ignores it), and a kind that a
 * CustomResourceDefinition of the same version introduces is waited for until discovery serves
 * it (a custom resource cannot be applied before its CRD is established, notes b.5).
 */
import type { Cluster, ResourceInfo } from "../cluster/port.js";
import { ClusterError } from "../cluster/port.js";
import { groupOf, refOf } from "../refs.js";
import type { KubeObject, ObjectRef } from "../types.js";

export interface ResolvedObject {
  /** The body to apply. */
  object: KubeObject;
  ref: ObjectRef;
  namespaced: boolean;
}

/** `group|Kind` of every kind the version's CRDs define. */
export function crdKindsOf(objects: readonly KubeObject[]): Set<string> {
  const kinds = new Set<string>();
  for (const object of objects) {
    if (
      object.kind !== "CustomResourceDefinition" ||
      groupOf(object.apiVersion) !== "apiextensions.k8s.io"
    )
      continue;
    const spec = (object.spec ?? {}) as { group?: unknown; names?: { kind?: unknown } };
    if (typeof spec.group === "string" && typeof spec.names?.kind === "string")
      kinds.add(`${spec.group}|${spec.names.kind}`);
  }
  return kinds;
}

/** The object with its namespace set or removed by the kind's scope (pure). */
export function placeObject(
  object: KubeObject,
  namespaced: boolean,
  namespace: string,
): KubeObject {
  const metadata = { ...object.metadata };
  if (namespaced) {
    if (!metadata.namespace) metadata.namespace = namespace;
  } else {
    delete metadata.namespace;
  }
  return { ...object, metadata };
}

export interface ResolveContext {
  namespace: string;
  crdKinds: ReadonlySet<string>;
  /** How long to wait for a kind a CRD of this version introduces (default 30 s). */
  crdWaitMs?: number;
  signal?: AbortSignal;
}

async function resourceOf(
  cluster: Cluster,
  object: KubeObject,
  context: ResolveContext,
): Promise<ResourceInfo> {
  const found = await cluster.resource(object.apiVersion, object.kind);
  if (found) return found;
  const fromCrd = context.crdKinds.has(`${groupOf(object.apiVersion)}|${object.kind}`);
  const deadline = Date.now() + (context.crdWaitMs ?? 30_000);
  while (fromCrd && Date.now() < deadline && !context.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = await cluster.resource(object.apiVersion, object.kind, { refresh: true });
    if (fresh) return fresh;
  }
  throw new ClusterError(
    404,
    `the cluster does not serve ${object.kind} in ${object.apiVersion}${fromCrd ? " (its CustomResourceDefinition was not established in time)" : ""}`,
    "NotFound",
  );
}

export async function resolveObject(
  cluster: Cluster,
  object: KubeObject,
  context: ResolveContext,
): Promise<ResolvedObject> {
  const info = await resourceOf(cluster, object, context);
  const placed = placeObject(object, info.namespaced, context.namespace);
  return { object: placed, ref: refOf(placed), namespaced: info.namespaced };
}
