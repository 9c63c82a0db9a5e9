/** Job caches: GitLab's key rules, and the runner's restore and save stages against a CacheStore. */
export { expandValue, variableLookup } from "./expand.js";
export { cacheFilesDigest, type CacheFilesDigestOptions } from "./files-digest.js";
export {
  cacheKeyFor,
  digestFromHashes,
  fallbackKeysFor,
  sanitizeCacheKey,
  validateCacheKey,
  type CacheKeyConfig,
  type CacheKeyOptions,
  type SanitizedKey,
} from "./key.js";
export {
  restoreCaches,
  saveCaches,
  type RestoreCachesOptions,
  type SaveCachesOptions,
} from "./transfer.js";
