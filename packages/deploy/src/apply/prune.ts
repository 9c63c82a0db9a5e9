/**
 * What a deployment deletes: exactly the objects of the previous inventory that the new
 * version no longer has — never anything found by listing or by label, so nothing outside
 * the inventory can be touched (notes b.4). Deletion runs in reverse apply order, so routes go
 * before the workloads behind them and Namespaces go last. The live checks before a delete
 * (same UID, still managed by our field manager) are in `prunable`.
 */
import { refKey } from "../refs.js";
import { APPLY_GROUPS, applyGroupOf } from "../render/order.js";
import type { KubeObject, ObjectRef } from "../types.js";

/** Previous-inventory refs absent from `current`, deduplicated, in deletion order. */
export function selectPrunes(
  previous: readonly ObjectRef[],
  current: readonly ObjectRef[],
): ObjectRef[] {
  const kept = new Set(current.map(refKey));
  const seen = new Set<string>();
  const prunes: { ref: ObjectRef; index: number }[] = [];
  previous.forEach((ref, index) => {
    const key = refKey(ref);
    if (kept.has(key) || seen.has(key)) return;
    seen.add(key);
    prunes.push({ ref, index });
  });
  const rank = (ref: ObjectRef): number =>
    APPLY_GROUPS.indexOf(applyGroupOf(ref.apiVersion, ref.kind));
  return prunes
    .sort((a, b) => rank(b.ref) - rank(a.ref) || a.index - b.index)
    .map(({ ref }) => ref);
}

/**
 * Whether the live object may be deleted as `ref`: it must be the same object (UID, when the
 * inventory recorded one) and carry fields applied by `fieldManager` — someone else's object
 * that merely took the name is left alone. Returns the reason when it may not.
 */
export function prunable(
  ref: ObjectRef,
  live: KubeObject,
  fieldManager: string,
): string | undefined {
  const uid = live.metadata.uid;
  if (ref.uid && uid !== ref.uid)
    return `its UID is ${String(uid)}, not the ${ref.uid} the inventory recorded`;
  const managers = Array.isArray(live.metadata.managedFields)
    ? (live.metadata.managedFields as unknown[])
    : [];
  const ours = managers.some(
    (entry) =>
      typeof entry === "object" &&
      entry !== null &&
      (entry as Record<string, unknown>).manager === fieldManager &&
      (entry as Record<string, unknown>).operation === "Apply",
  );
  return ours ? undefined : `it has no fields applied by ${fieldManager}`;
}

/**
 * The next inventory: the refs applied now, then the previous refs that are still in the
 * cluster because they were not pruned (a failed or canceled deployment prunes nothing).
 */
export function mergeInventory(
  applied: readonly ObjectRef[],
  leftovers: readonly ObjectRef[],
): ObjectRef[] {
  const seen = new Set<string>();
  const merged: ObjectRef[] = [];
  for (const ref of [...applied, ...leftovers]) {
    const key = refKey(ref);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(ref);
  }
  return merged;
}
