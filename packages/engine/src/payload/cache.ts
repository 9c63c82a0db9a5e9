/**
 * `cache:` as the job payload carries it (runner protocol §3.7), with the key GitLab computes
 * on the server: the key expanded with the job's variables (`default` when none), or for
 * `key:files` the prefix joined to a digest of the files' last commits; then the suffix that
 * keeps protected and unprotected refs apart.
 * Docs: https://docs.gitlab.com/ci/yaml/#cache , https://docs.gitlab.com/ci/caching/
 */
import type { ArtifactWhen, CachePolicy, JobCache } from "@conveyor/protocol";
import { stringList } from "./keyword-values.js";
import { isMap } from "@conveyor/pipeline";

export interface CacheKeyInputs {
  expand: (value: string) => string;
  /**
   * `cache:key:files`: an identifier of the files' latest versions (GitLab: a SHA computed from
   * the most recent commits that changed them), or undefined when none of the files exists.
   */
  filesDigest: (files: string[]) => string | undefined;
  /** The pipeline's ref is protected (`-protected`), else `-non_protected`. */
  protectedRef: boolean;
}

const POLICIES: readonly CachePolicy[] = ["pull-push", "pull", "push"];
const WHEN: readonly ArtifactWhen[] = ["on_success", "on_failure", "always"];

export function cachesOf(value: unknown, inputs: CacheKeyInputs): JobCache[] {
  const entries = Array.isArray(value)
    ? value
    : value === undefined || value === null
      ? []
      : [value];
  const suffix = inputs.protectedRef ? "-protected" : "-non_protected";
  const out: JobCache[] = [];
  for (const entry of entries) {
    if (!isMap(entry)) continue;
    const policy =
      POLICIES.find((p) => p === inputs.expand(String(entry.policy ?? ""))) ?? "pull-push";
    const cache: JobCache = {
      key: `${cacheKey(entry.key, inputs)}${suffix}`,
      untracked: entry.untracked === true,
      paths: stringList(entry.paths).map(inputs.expand),
      policy,
      when: WHEN.find((w) => w === entry.when) ?? "on_success",
    };
    const fallbacks = stringList(entry.fallback_keys);
    if (fallbacks.length > 0) {
      cache.fallback_keys = fallbacks.map((key) => `${inputs.expand(key)}${suffix}`);
    }
    out.push(cache);
  }
  return out;
}

function cacheKey(key: unknown, inputs: CacheKeyInputs): string {
  if (key === undefined || key === null) return "default";
  if (isMap(key)) {
    const prefix = typeof key.prefix === "string" ? inputs.expand(key.prefix) : undefined;
    const digest = inputs.filesDigest(stringList(key.files)) ?? "default";
    return prefix ? `${prefix}-${digest}` : digest;
  }
  const expanded = inputs.expand(String(key));
  return expanded === "" ? "default" : expanded;
}
