/**
 * What the state machine reads from a planned job's keywords: `timeout` (seconds, for the
 * runner), `retry`, `interruptible`, `resource_group`, `dependencies` and the delay of a
 * `when: delayed` job. Sources: https://docs.gitlab.com/ci/yaml/ (timeout, retry,
 * interruptible, resource_group, dependencies, start_in).
 */
import { expandVariables, type PlannedJob } from "@conveyor/pipeline";
import { parseDuration } from "../duration/index.js";
import { parseRetry, type RetryPolicy } from "./retry.js";

/** GitLab's default job timeout: the project's, 60 minutes. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;

export interface JobSettings {
  timeoutSeconds: number;
  retry: RetryPolicy;
  interruptible: boolean;
  /** The expanded `resource_group` key. */
  resourceGroup?: string;
  /** `dependencies` as written; `undefined` when absent. */
  dependencies?: string[];
  /** `start_in` in seconds for a `when: delayed` job; `undefined` when it does not parse. */
  startInSeconds?: number;
}

export interface SettingsOptions {
  /** Timeout for jobs without `timeout` (the project's; 3600 s by default). */
  defaultTimeoutSeconds?: number;
  /**
   * The job's resource group key. GitLab expands `resource_group` with the job's variables,
   * predefined ones included; by default only the planned YAML variables are used.
   */
  resourceGroupKey?: (job: PlannedJob) => string | undefined;
}

export function jobSettings(job: PlannedJob, options: SettingsOptions = {}): JobSettings {
  const def = job.definition;
  const timeout =
    typeof def.timeout === "string" || typeof def.timeout === "number"
      ? parseDuration(def.timeout)
      : undefined;
  const settings: JobSettings = {
    timeoutSeconds: timeout ?? options.defaultTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    retry: parseRetry(def.retry),
    interruptible: def.interruptible === true,
  };
  const group = (options.resourceGroupKey ?? yamlResourceGroupKey)(job);
  if (group) settings.resourceGroup = group;
  if (Array.isArray(def.dependencies)) settings.dependencies = def.dependencies.map(String);
  if (job.when === "delayed" && job.startIn !== undefined) {
    const seconds = parseDuration(job.startIn);
    if (seconds !== undefined) settings.startInSeconds = seconds;
  }
  return settings;
}

function yamlResourceGroupKey(job: PlannedJob): string | undefined {
  const key = job.definition.resource_group;
  if (typeof key !== "string" || key === "") return undefined;
  return expandVariables(key, (name) => job.variables[name]);
}
