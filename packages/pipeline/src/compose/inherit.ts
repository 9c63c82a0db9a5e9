/**
 * `default:` and `inherit:` — which defaults and global variables reach a job.
 * Docs: https://docs.gitlab.com/ci/yaml/#inherit
 */
import { copyOrigin } from "../source-map.js";
import { type ConfigMap, isMap, setEntry } from "./deep-merge.js";
import { DEFAULTABLE_KEYS, DEPRECATED_GLOBAL_DEFAULTS } from "./keywords.js";

/** The effective `default:` block: `default:` wins over the deprecated top-level keys. */
export function effectiveDefaults(config: ConfigMap): ConfigMap {
  const defaults: ConfigMap = {};
  for (const key of DEPRECATED_GLOBAL_DEFAULTS) {
    if (config[key] !== undefined) setEntry(defaults, key, config[key]);
  }
  if (isMap(config.default)) {
    copyOrigin(config.default, defaults);
    for (const [key, value] of Object.entries(config.default)) setEntry(defaults, key, value);
  }
  return defaults;
}

/** `inherit:default` / `inherit:variables`: true (all), false (none) or a list of names. */
function inherits(job: ConfigMap, kind: "default" | "variables", name: string): boolean {
  const inherit = job.inherit;
  if (!isMap(inherit)) return true;
  const setting = inherit[kind];
  if (setting === undefined || setting === null || setting === true) return true;
  if (setting === false) return false;
  if (Array.isArray(setting)) return setting.map(String).includes(name);
  return true;
}

/** The job with each defaultable key it lacks taken from `defaults` (no deep merge: a job's own key wins whole). */
export function applyDefaults(job: ConfigMap, defaults: ConfigMap): ConfigMap {
  const result: ConfigMap = {};
  copyOrigin(job, result);
  const keys = Object.keys(job);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    setEntry(result, key, job[key]);
  }
  for (const key of DEFAULTABLE_KEYS) {
    if (job[key] === undefined && defaults[key] !== undefined && inherits(job, "default", key)) {
      setEntry(result, key, defaults[key]);
    }
  }
  return result;
}

/** Whether the job receives global variable `name` (`inherit:variables`). */
export function inheritsVariable(job: ConfigMap, name: string): boolean {
  return inherits(job, "variables", name);
}
