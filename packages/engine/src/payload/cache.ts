/**
 * `cache:` as the job payload carries it (runner protocol §3.7), with the key GitLab composes on
 * the server (lib/gitlab/ci/pipeline/seed/build/cache.rb, app/models/ci/build.rb#cache):
 * - a string key as written: the runner expands its variables (and the paths' and policy's);
 * - no key: `default`;
 * - `key:files`: `<prefix>-<digest of the files>`, the prefix being the entry's index in the
 *   job's `cache` list when none is given, the digest `default` when none of the files exists;
 * - then `-protected` or `-non_protected` (always `-non_protected` with `cache:unprotect`), the
 *   project keeping separate caches for protected refs as GitLab does by default; fallback keys
 *   get the same suffix.
 * Docs: https://docs.gitlab.com/ci/yaml/#cache , https://docs.gitlab.com/ci/caching/
 */
import type { ArtifactWhen, CachePolicy, JobCache } from "@conveyor/protocol";
import { isMap } from "@conveyor/pipeline";
import { stringList } from "./keyword-values.js";

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
  const out: JobCache[] = [];
  for (const [index, entry] of entries.entries()) {
    if (!isMap(entry)) continue;
    const suffix =
      inputs.protectedRef && entry.unprotect !== true ? "-protected" : "-non_protected";
    const policy =
      POLICIES.find((p) => p === inputs.expand(String(entry.policy ?? ""))) ?? "pull-push";
    const cache: JobCache = {
      key: `${cacheKey(entry.key, index, inputs)}${suffix}`,
      untracked: entry.untracked === true,
      paths: stringList(entry.paths).map(inputs.expand),
      policy,
      when: WHEN.find((w) => w === entry.when) ?? "on_success",
    };
    const fallbacks = stringList(entry.fallback_keys);
    if (fallbacks.length > 0) {
      cache.fallback_keys = fallbacks.map((key) => `${key}${suffix}`);
    }
    out.push(cache);
  }
  return out;
}

function cacheKey(key: unknown, index: number, inputs: CacheKeyInputs): string {
  if (key === undefined || key === null) return "default";
  if (isMap(key)) {
    const prefix = typeof key.prefix === "string" ? key.prefix : String(index);
    const digest = inputs.filesDigest(stringList(key.files)) ?? "default";
    return [prefix, digest].filter((part) => part.trim() !== "").join("-");
  }
  return String(key);
}
