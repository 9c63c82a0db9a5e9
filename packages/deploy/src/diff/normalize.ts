/**
 * What a diff compares: an object without the fields the server owns or bumps on every write
 * (notes b.3, Advice: managedFields, resourceVersion, generation, uid, creationTimestamp,
 * status), printed as YAML with sorted keys so that two prints differ only where the objects
 * do.
 */
import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";
import type { KubeObject } from "../types.js";

const SERVER_METADATA = [
  "managedFields",
  "resourceVersion",
  "generation",
  "uid",
  "creationTimestamp",
] as const;

export function forDiff(object: KubeObject): Record<string, unknown> {
  const { status: _status, ...rest } = object;
  const metadata: Record<string, unknown> = { ...object.metadata };
  for (const field of SERVER_METADATA) delete metadata[field];
  return { ...rest, metadata };
}

export function diffYaml(object: KubeObject | undefined): string {
  return object === undefined
    ? ""
    : stringify(forDiff(object), { sortMapEntries: true, lineWidth: 0 });
}

/** A unified diff (3 lines of context) of two YAML prints; "" when they are equal. */
export function unifiedDiff(name: string, before: string, after: string): string {
  if (before === after) return "";
  const patch = createTwoFilesPatch(
    `live/${name}`,
    `version/${name}`,
    before,
    after,
    undefined,
    undefined,
    { context: 3 },
  );
  // The library heads the patch with a line of `=`; a unified diff starts at `---`.
  return patch.replace(/^=+\n/, "");
}
