/** Reading the loosely typed fields of live objects (status, spec, conditions) without casts everywhere. */
import type { KubeObject } from "../types.js";

export type Loose = Record<string, unknown>;

export function record(value: unknown): Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Loose)
    : {};
}

export function list(value: unknown): Loose[] {
  return Array.isArray(value) ? value.map(record) : [];
}

export function num(value: unknown, fallback = 0): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function spec(object: KubeObject): Loose {
  return record(object.spec);
}

export function status(object: KubeObject): Loose {
  return record(object.status);
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The object's `status.conditions` entry of this type, if any. */
export function condition(object: KubeObject, type: string): Condition | undefined {
  const found = list(status(object).conditions).find((entry) => entry.type === type);
  if (!found) return undefined;
  const result: Condition = { type, status: str(found.status) ?? "Unknown" };
  const reason = str(found.reason);
  const message = str(found.message);
  const since = str(found.lastTransitionTime);
  if (reason !== undefined) result.reason = reason;
  if (message !== undefined) result.message = message;
  if (since !== undefined) result.lastTransitionTime = since;
  return result;
}

/** `reason: message`, or whichever of the two is there. */
export function reasonText(entry: {
  reason?: string | undefined;
  message?: string | undefined;
}): string {
  return [entry.reason, entry.message]
    .filter((part) => part !== undefined && part !== "")
    .join(": ");
}
