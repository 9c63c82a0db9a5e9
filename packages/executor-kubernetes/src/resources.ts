/**
 * CPU and memory requests and limits of the pod's containers: the runner's settings, and the
 * job's overrides through variables, which gitlab-runner allows only when the runner sets a
 * maximum for them (https://docs.gitlab.com/runner/executors/kubernetes/#overwrite-container-resources):
 * - `KUBERNETES_CPU_REQUEST`, `KUBERNETES_CPU_LIMIT`, `KUBERNETES_MEMORY_REQUEST`,
 *   `KUBERNETES_MEMORY_LIMIT` for the build container, the same with `HELPER_` and `SERVICE_`
 *   after `KUBERNETES_` for the helper and service containers;
 * - without `<resource>_overwrite_max_allowed` the variable is ignored (a warning says so);
 * - a value above the maximum, or one that is not a quantity, fails the job.
 * Pure.
 */
import type { V1ResourceRequirements } from "@kubernetes/client-node";
import type { JobVariable } from "@conveyor/protocol";
import { ExecutorError } from "@conveyor/runner";
import type { ContainerResources } from "./options.js";
import { parseQuantity } from "./quantity.js";

export type ContainerKind = "build" | "helper" | "service";

const RESOURCES = [
  { field: "cpuRequest", resource: "cpu", side: "requests", word: "CPU_REQUEST" },
  { field: "cpuLimit", resource: "cpu", side: "limits", word: "CPU_LIMIT" },
  { field: "memoryRequest", resource: "memory", side: "requests", word: "MEMORY_REQUEST" },
  { field: "memoryLimit", resource: "memory", side: "limits", word: "MEMORY_LIMIT" },
] as const;

/** The variable a job sets to override one resource of one kind of container. */
export function overrideVariable(kind: ContainerKind, word: string): string {
  return kind === "build" ? `KUBERNETES_${word}` : `KUBERNETES_${kind.toUpperCase()}_${word}`;
}

/** The config.toml key of a maximum, for messages (`helper_cpu_limit_overwrite_max_allowed`). */
function maxSetting(kind: ContainerKind, word: string): string {
  const prefix = kind === "build" ? "" : `${kind}_`;
  return `${prefix}${word.toLowerCase()}_overwrite_max_allowed`;
}

function setting(kind: ContainerKind, word: string): string {
  const prefix = kind === "build" ? "" : `${kind}_`;
  return `${prefix}${word.toLowerCase()}`;
}

/** The value of a job variable (the last definition wins), or undefined when unset or empty. */
export function jobVariable(variables: readonly JobVariable[], key: string): string | undefined {
  let value: string | undefined;
  for (const variable of variables) if (variable.key === key) value = variable.value;
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export interface ResolvedResources {
  requirements: V1ResourceRequirements | undefined;
  /** Overrides that were ignored, for the job log. */
  warnings: string[];
}

/** Requests and limits of one container kind; throws ExecutorError on a refused override. */
export function resolveResources(
  kind: ContainerKind,
  configured: ContainerResources | undefined,
  variables: readonly JobVariable[],
): ResolvedResources {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  const warnings: string[] = [];
  for (const { field, resource, side, word } of RESOURCES) {
    let value = configured?.[field];
    if (value !== undefined && parseQuantity(value) === undefined) {
      throw new ExecutorError(
        `invalid ${setting(kind, word)} "${value}": not a Kubernetes quantity`,
      );
    }
    const key = overrideVariable(kind, word);
    const wanted = jobVariable(variables, key);
    if (wanted !== undefined) {
      const max = configured?.[`${field}OverwriteMaxAllowed`];
      const wantedValue = parseQuantity(wanted);
      if (wantedValue === undefined || wantedValue < 0) {
        throw new ExecutorError(`invalid ${key} "${wanted}": not a Kubernetes quantity`);
      }
      if (max === undefined) {
        warnings.push(
          `${key} is ignored: the runner allows no override (set ${maxSetting(kind, word)})`,
        );
      } else {
        const maxValue = parseQuantity(max);
        if (maxValue === undefined) {
          throw new ExecutorError(
            `invalid ${maxSetting(kind, word)} "${max}": not a Kubernetes quantity`,
          );
        }
        if (wantedValue > maxValue) {
          throw new ExecutorError(
            `${key} "${wanted}" is higher than the maximum the runner allows, "${max}" (${maxSetting(kind, word)})`,
          );
        }
        value = wanted;
      }
    }
    if (value !== undefined) (side === "requests" ? requests : limits)[resource] = value;
  }
  const hasRequests = Object.keys(requests).length > 0;
  const hasLimits = Object.keys(limits).length > 0;
  if (!hasRequests && !hasLimits) return { requirements: undefined, warnings };
  return {
    requirements: {
      ...(hasRequests ? { requests } : {}),
      ...(hasLimits ? { limits } : {}),
    },
    warnings,
  };
}
