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
   * `cache:key:files`: the digest of the files at the pipeline's commit (GitLab: SHA-1 of their
   * blob ids), or undefined when none of them exists.
   */
  filesDigest: (files: string[]) => string | undefined;
  /** The pipeline's ref is protected (`-protected`), else `-non_protected`. */
  protectedRef: boolean;
}

const POLICIES: readonly CachePolicy[] = ["pull-push", "pull", "push"];
const WHEN: readonly ArtifactWhen[] = ["on_success", "on_failure", "always"];

/** A job's `cache:` as a list of entries (one map or a list of them). */
function cacheEntries(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/**
 * The file lists of the job's `cache:key:files` entries, as `filesDigest` will be asked for
 * them: a caller with I/O can look their digests up before building the payload.
 */
export function cacheKeyFileLists(value: unknown): string[][] {
  return cacheEntries(value).flatMap((entry) =>
    isMap(entry) && isMap(entry.key) && entry.key.files !== undefined
      ? [stringList(entry.key.files)]
      : [],
  );
}

export function cachesOf(value: unknown, inputs: CacheKeyInputs): JobCache[] {
  const out: JobCache[] = [];
  for (const [index, entry] of cacheEntries(value).entries()) {
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
