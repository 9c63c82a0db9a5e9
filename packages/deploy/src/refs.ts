/**
 * Naming objects: the reference of a rendered or live object, the key that identifies it across
 * API versions (group, kind, namespace, name — `apps/v1` and `apps/v1beta2` name the same
 * Deployment), and the short `kind/name` form used in logs.
 */
import type { KubeObject, ObjectRef } from "./types.js";

/** The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → `""`, the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** The reference of an object as written (its namespace only if it names one). */
export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
  };
  if (typeof object.metadata.namespace === "string" && object.metadata.namespace !== "") {
    ref.namespace = object.metadata.namespace;
  }
  return ref;
}

/** Identity of an object in a cluster, independent of the API version it is read through. */
export function refKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}|${ref.kind}|${ref.namespace ?? ""}|${ref.name}`;
}

/** `deployment/web`, or `deployment/web -n shop` style when asked for the namespace. */
export function describeRef(ref: ObjectRef, withNamespace = false): string {
  const short = `${ref.kind.toLowerCase()}/${ref.name}`;
  return withNamespace && ref.namespace ? `${short} (namespace ${ref.namespace})` : short;
}
