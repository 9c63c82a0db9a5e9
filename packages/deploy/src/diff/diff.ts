/**
 * The preview of a deployment (notes b.3): each object is applied with `dryRun=All` (the
 * server defaults, admits and merges it, and stores nothing) and compared with the live object;
 * objects of the previous inventory that the version drops are listed as prunes. An object in
 * a Namespace, or of a kind, that the version itself creates cannot be dry-run yet: the
 * rendered object stands in for the server's answer.
 */
import { selectPrunes } from "../apply/prune.js";
import { crdKindsOf, placeObject, resolveObject } from "../apply/resolve.js";
import { DEFAULT_FIELD_MANAGER } from "../apply/apply.js";
import type { Cluster } from "../cluster/port.js";
import { ClusterError } from "../cluster/port.js";
import { canonicalJson } from "../render/digest.js";
import { describeRef, groupOf, refOf } from "../refs.js";
import type { DiffEntry, DiffRequest, KubeObject, ObjectRef } from "../types.js";
import { diffYaml, forDiff, unifiedDiff } from "./normalize.js";

function entryName(ref: ObjectRef): string {
  return `${ref.namespace ? `${ref.namespace}/` : ""}${describeRef(ref)}`;
}

export async function diffVersion(cluster: Cluster, request: DiffRequest): Promise<DiffEntry[]> {
  const fieldManager = request.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const { version, target, signal } = request;
  const crdKinds = crdKindsOf(version.objects);
  const newNamespaces = new Set(
    version.objects
      .filter((object) => object.kind === "Namespace" && groupOf(object.apiVersion) === "")
      .map((object) => object.metadata.name),
  );
  const entries: DiffEntry[] = [];
  const refs: ObjectRef[] = [];
  for (const object of version.objects) {
    if (signal.aborted) throw new Error("diff canceled");
    let ref: ObjectRef;
    let body: KubeObject;
    let live: KubeObject | undefined;
    let after: KubeObject;
    const known = await cluster.resource(object.apiVersion, object.kind);
    if (!known && crdKinds.has(`${groupOf(object.apiVersion)}|${object.kind}`)) {
      // A custom resource whose CRD this version installs: nothing to ask the server yet.
      body = placeObject(object, true, target.namespace);
      ref = refOf(body);
      live = undefined;
      after = body;
    } else {
      const resolved = await resolveObject(cluster, object, {
        namespace: target.namespace,
        crdKinds: new Set(),
        crdWaitMs: 0,
      });
      ref = resolved.ref;
      body = resolved.object;
      live =
        ref.namespace && newNamespaces.has(ref.namespace)
          ? await getUnlessNamespaceMissing(cluster, ref)
          : await cluster.get(ref);
      try {
        after = await cluster.apply(body, { fieldManager, dryRun: true });
      } catch (error) {
        const namespaceMissing =
          error instanceof ClusterError &&
          error.status === 404 &&
          ref.namespace !== undefined &&
          newNamespaces.has(ref.namespace);
        if (!namespaceMissing) throw error;
        after = body;
      }
    }
    refs.push(ref);
    const name = entryName(ref);
    if (!live) {
      entries.push({ ref, change: "create", diff: unifiedDiff(name, "", diffYaml(after)) });
    } else if (canonicalJson(forDiff(live)) === canonicalJson(forDiff(after))) {
      entries.push({ ref, change: "unchanged" });
    } else {
      entries.push({
        ref,
        change: "update",
        diff: unifiedDiff(name, diffYaml(live), diffYaml(after)),
      });
    }
  }
  for (const ref of selectPrunes(request.previousInventory, refs)) {
    const info = await cluster.resource(ref.apiVersion, ref.kind);
    if (!info || (info.namespaced && !ref.namespace)) continue;
    const live = await cluster.get(ref);
    if (!live || (ref.uid && live.metadata.uid !== ref.uid)) continue;
    entries.push({ ref, change: "prune", diff: unifiedDiff(entryName(ref), diffYaml(live), "") });
  }
  return entries;
}

async function getUnlessNamespaceMissing(
  cluster: Cluster,
  ref: ObjectRef,
): Promise<KubeObject | undefined> {
  try {
    return await cluster.get(ref);
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return undefined;
    throw error;
  }
}
