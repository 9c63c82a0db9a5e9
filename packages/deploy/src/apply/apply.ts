/**
 * Applying a version (notes b): server-side apply of each object in the version's order with
 * one field manager (`conveyor`) and force (the deploy system owns the fields it sets), each
 * reported created / configured / unchanged by its resourceVersion before and after; then the
 * wait for health (health/wait.ts); then, only when everything is healthy, pruning of what
 * the previous inventory had and this version does not (prune.ts). A failed or canceled
 * deployment prunes nothing: its inventory keeps the previous objects so a later deployment
 * (a rollback, a fix) prunes them.
 *
 * Rollback needs nothing else: it is apply() of an earlier stored version with the current
 * inventory as previousInventory.
 */
import type { Cluster } from "../cluster/port.js";
import { ClusterError } from "../cluster/port.js";
import { waitForHealth, type WaitTuning } from "../health/wait.js";
import { describeRef, refKey } from "../refs.js";
import type { ApplyOutcome, ApplyRequest, ObjectRef, ObjectResult } from "../types.js";
import { mergeInventory, prunable, selectPrunes } from "./prune.js";
import { crdKindsOf, resolveObject } from "./resolve.js";

export const DEFAULT_FIELD_MANAGER = "conveyor";

export interface ApplyTuning extends WaitTuning {
  /** How long to wait for a kind introduced by a CRD of the same version (default 30 s). */
  crdWaitMs?: number;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withUid(ref: ObjectRef, uid: unknown): ObjectRef {
  return typeof uid === "string" && uid !== "" ? { ...ref, uid } : ref;
}

export async function applyVersion(
  cluster: Cluster,
  request: ApplyRequest,
  tuning: ApplyTuning = {},
): Promise<ApplyOutcome> {
  const fieldManager = request.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const { version, target, log, signal } = request;
  const results: ObjectResult[] = [];
  const applied: ObjectRef[] = [];
  const canceled = (): ApplyOutcome => ({
    status: "canceled",
    objects: results,
    inventory: mergeInventory(applied, request.previousInventory),
    message: "canceled",
  });
  const failed = (message: string): ApplyOutcome => ({
    status: "failed",
    objects: results,
    inventory: mergeInventory(applied, request.previousInventory),
    message,
  });

  log(
    `applying ${version.objects.length} objects of version ${version.digest.slice(0, 19)} to namespace ${target.namespace}`,
  );
  const crdKinds = crdKindsOf(version.objects);
  for (const object of version.objects) {
    if (signal.aborted) return canceled();
    let ref: ObjectRef = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
    };
    try {
      const resolved = await resolveObject(cluster, object, {
        namespace: target.namespace,
        crdKinds,
        signal,
        ...(tuning.crdWaitMs !== undefined ? { crdWaitMs: tuning.crdWaitMs } : {}),
      });
      ref = resolved.ref;
      const before = await cluster.get(ref);
      const after = await cluster.apply(resolved.object, { fieldManager });
      const action = !before
        ? "created"
        : before.metadata.resourceVersion === after.metadata.resourceVersion
          ? "unchanged"
          : "configured";
      applied.push(withUid(ref, after.metadata.uid));
      results.push({ ref: withUid(ref, after.metadata.uid), action, health: "Unknown" });
      log(`${describeRef(ref)} ${action}`);
    } catch (error) {
      const message = `${describeRef(ref)}: ${errorText(error)}`;
      results.push({ ref, action: "failed", health: "Unknown", message });
      log(message);
      return failed(message);
    }
  }

  const waited = await waitForHealth(cluster, applied, {
    timeoutMs: request.timeoutMs,
    signal,
    log,
    ...tuning,
  });
  for (const result of results) {
    const status = waited.statuses.get(refKey(result.ref));
    if (!status) continue;
    result.health = status.health;
    if (status.health !== "Current") result.message = status.message;
  }
  if (waited.status === "canceled") return canceled();
  if (waited.status === "failed") return failed(waited.message ?? "not healthy");

  // Healthy: prune what the previous deployment had and this version does not.
  const leftovers: ObjectRef[] = [];
  const pruneErrors: string[] = [];
  for (const ref of selectPrunes(request.previousInventory, applied)) {
    if (signal.aborted) {
      leftovers.push(ref);
      continue;
    }
    try {
      const info = await cluster.resource(ref.apiVersion, ref.kind);
      if (info?.namespaced && !ref.namespace) {
        log(`${describeRef(ref)}: not pruned: the inventory names no namespace for it`);
        continue;
      }
      const live = await cluster.get(ref);
      if (!live) {
        results.push({ ref, action: "pruned", health: "NotFound", message: "already gone" });
        log(`${describeRef(ref, true)} already gone`);
        continue;
      }
      const refusal = prunable(ref, live, fieldManager);
      if (refusal) {
        log(`${describeRef(ref, true)}: not pruned: ${refusal}`);
        continue;
      }
      const deleted = await cluster.delete(ref, {
        propagationPolicy: "Background",
        uid: live.metadata.uid as string,
      });
      const terminating =
        deleted?.metadata?.deletionTimestamp !== undefined && deleted.kind === ref.kind;
      results.push({ ref, action: "pruned", health: terminating ? "Terminating" : "NotFound" });
      log(`${describeRef(ref, true)} pruned`);
    } catch (error) {
      if (error instanceof ClusterError && error.status === 409) {
        log(`${describeRef(ref, true)}: not pruned: replaced by another object of the same name`);
        continue;
      }
      leftovers.push(ref);
      const message = `${describeRef(ref, true)}: prune failed: ${errorText(error)}`;
      results.push({ ref, action: "failed", health: "Unknown", message });
      pruneErrors.push(message);
      log(message);
    }
  }
  const inventory = mergeInventory(applied, leftovers);
  if (signal.aborted && leftovers.length > 0)
    return { status: "canceled", objects: results, inventory, message: "canceled while pruning" };
  if (pruneErrors.length > 0) {
    return {
      status: "failed",
      objects: results,
      inventory,
      message: `healthy, but pruning failed:\n${pruneErrors.join("\n")}`,
    };
  }
  log(`version ${version.digest.slice(0, 19)} is healthy`);
  return { status: "success", objects: results, inventory };
}
