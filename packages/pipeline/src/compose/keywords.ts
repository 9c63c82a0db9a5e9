/**
 * Which top-level keys are global keywords rather than jobs, and which job keys `default`
 * can supply. Docs: https://docs.gitlab.com/ci/yaml/#global-keywords and #default
 */

/** Keys a job takes from `default:` when it does not set them itself. */
export const DEFAULTABLE_KEYS = [
  "after_script",
  "artifacts",
  "before_script",
  "cache",
  "hooks",
  "id_tokens",
  "image",
  "interruptible",
  "retry",
  "services",
  "tags",
  "timeout",
] as const;

/** The deprecated top-level keys that act like their `default:` counterparts. */
export const DEPRECATED_GLOBAL_DEFAULTS = [
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
] as const;

/** Top-level keys that are global keywords; every other key is a job (or hidden, `.name`). */
export const GLOBAL_KEYWORDS: ReadonlySet<string> = new Set<string>([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  // Deprecated globals: GitLab still reads them as defaults for every job.
  ...DEPRECATED_GLOBAL_DEFAULTS,
]);

export function isHiddenKey(key: string): boolean {
  return key.startsWith(".");
}

export function isJobKey(key: string): boolean {
  return !GLOBAL_KEYWORDS.has(key) && !isHiddenKey(key);
}

/** The `when` values a job may have (`never` belongs to rules only). */
export const JOB_WHEN = ["on_success", "on_failure", "always", "manual", "delayed"] as const;
