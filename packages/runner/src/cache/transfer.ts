/**
 * The "restore cache" and "save cache" stages of a job, as gitlab-runner runs them
 * (shells/abstract.go `cacheExtractor`, `extractCacheOrFallbackCachesWrapper`, `archiveCache`;
 * helper commands cache-extractor and cache-archiver), against a CacheStore:
 * - restore, per entry with policy `pull` or `pull-push`: the key, then each `fallback_keys`
 *   entry in order, then the `CACHE_FALLBACK_KEY` variable (refused when it ends in
 *   `-protected`); the first archive found is extracted. A missing or broken cache is a
 *   warning, never a job failure.
 * - save, per entry with policy `push` or `pull-push` whose `when` matches the outcome: zip the
 *   paths (and untracked files) and store them under the key; failures are warnings.
 * Keys, fallback keys and the policy are expanded with the job's variables and sanitized as the
 * runner does; an entry with neither `paths` nor `untracked` is skipped.
 * Docs: https://docs.gitlab.com/ci/yaml/#cache , https://docs.gitlab.com/ci/caching/
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { JobCache, JobPayload } from "@conveyor/protocol";
import type { CacheStore } from "../ports.js";
import { collectArtifactFiles } from "../artifacts/collect.js";
import { extractZip } from "../artifacts/zip-read.js";
import { createZip } from "../artifacts/zip-write.js";
import { artifactWhenMatches } from "../artifacts/transfer.js";
import { expandValue, variableLookup } from "./expand.js";
import { goQuote, sanitizeCacheKey } from "./key.js";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Lookup = (name: string) => string | undefined;

/**
 * newCacheConfig: the expanded, sanitized key; "" when nothing usable is left; undefined when
 * `check` refused it (warnings logged).
 */
function resolveKey(
  raw: string,
  lookup: Lookup,
  log: (line: string) => void,
  check?: (key: string) => boolean,
): string | undefined {
  const { key, warning } = sanitizeCacheKey(expandValue(raw, lookup));
  if (warning) log(`WARNING: ${warning}`);
  if (check && !check(key)) return undefined;
  return key;
}

function defaultKey(job: JobPayload): string {
  return [job.job_info.name, job.git_info.ref].filter((s) => s !== "").join("/");
}

/** CheckPolicy: whether the entry's (expanded) policy allows the wanted direction. */
function policyAllows(
  cache: JobCache,
  wanted: "pull" | "push",
  lookup: Lookup,
): boolean | "unknown" {
  const policy = expandValue(cache.policy ?? "", lookup);
  if (policy === "" || policy === "pull-push") return true;
  if (policy === "pull" || policy === "push") return policy === wanted;
  return "unknown";
}

function defined(cache: JobCache): boolean {
  return cache.paths.length > 0 || cache.untracked === true;
}

export interface RestoreCachesOptions {
  job: JobPayload;
  projectDir: string;
  store: CacheStore;
  log: (line: string) => void;
}

export async function restoreCaches(options: RestoreCachesOptions): Promise<void> {
  const { job, projectDir, store, log } = options;
  const lookup = variableLookup(job.variables);
  for (const cache of job.cache ?? []) {
    if (!defined(cache)) continue;
    const main = resolveKey(cache.key || defaultKey(job), lookup, log);
    if (!main) {
      log("Skipping cache extraction due to empty cache key");
      continue;
    }
    const allowed = policyAllows(cache, "pull", lookup);
    if (allowed === "unknown") {
      log(`WARNING: unknown cache policy ${cache.policy} for ${main}`);
      continue;
    }
    if (!allowed) {
      log(`Not downloading cache ${main} due to policy`);
      continue;
    }
    const keys = [main];
    const addFallback = (raw: string | undefined, check?: (key: string) => boolean) => {
      if (!raw) return;
      const key = resolveKey(raw, lookup, log, check);
      if (key) keys.push(key);
      else if (key === "") log("Skipping cache extraction due to empty cache key");
    };
    // The runner expands fallback keys here and again in newCacheConfig.
    for (const fallback of cache.fallback_keys ?? []) addFallback(expandValue(fallback, lookup));
    addFallback(lookup("CACHE_FALLBACK_KEY"), (key) => {
      if (!key.endsWith("-protected")) return true;
      log(`WARNING: CACHE_FALLBACK_KEY ${goQuote(key)} not allowed to end in "-protected"`);
      return false;
    });
    for (const key of keys) {
      log(`Checking cache for ${key}...`);
      if (await extractOne(store, key, projectDir, log)) {
        log("Successfully extracted cache");
        break;
      }
      log("WARNING: Failed to extract cache");
    }
  }
}

async function extractOne(
  store: CacheStore,
  key: string,
  projectDir: string,
  log: (line: string) => void,
): Promise<boolean> {
  try {
    const file = await store.get(key);
    if (file === undefined) {
      log("WARNING: Cache file does not exist");
      return false;
    }
    await extractZip({ file, targetDir: projectDir, log });
    return true;
  } catch (err) {
    log(`WARNING: ${message(err)}`);
    return false;
  }
}

export interface SaveCachesOptions {
  job: JobPayload;
  projectDir: string;
  store: CacheStore;
  jobSucceeded: boolean;
  log: (line: string) => void;
  /** Scratch space for the archives (each gets its own folder, removed after). */
  tmpDir: string;
}

export async function saveCaches(options: SaveCachesOptions): Promise<void> {
  const { job, projectDir, store, jobSucceeded, log, tmpDir } = options;
  const lookup = variableLookup(job.variables);
  for (const cache of job.cache ?? []) {
    if (!artifactWhenMatches(cache.when, jobSucceeded)) continue;
    if (!defined(cache)) continue;
    const key = resolveKey(cache.key || defaultKey(job), lookup, log);
    if (!key) {
      log("Skipping cache archiving due to empty cache key");
      continue;
    }
    const allowed = policyAllows(cache, "push", lookup);
    if (allowed === "unknown") {
      log(`WARNING: unknown cache policy ${cache.policy} for ${key}`);
      continue;
    }
    if (!allowed) {
      log(`Not uploading cache ${key} due to policy`);
      continue;
    }
    log(`Creating cache ${key}...`);
    let dir: string | undefined;
    try {
      const files = await collectArtifactFiles({
        projectDir,
        paths: cache.paths,
        untracked: cache.untracked === true,
        log,
      });
      await mkdir(tmpDir, { recursive: true });
      dir = await mkdtemp(join(tmpDir, "cache-"));
      const output = join(dir, "cache.zip");
      await createZip({ baseDir: projectDir, files, output, log });
      await store.put(key, output);
      log("Created cache");
    } catch (err) {
      log(`WARNING: ${message(err)}`);
      log("WARNING: Failed to create cache");
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
}
