/** Job caches: GitLab's key rules, and the runner's restore and save stages against a CacheStore. */
export { expandValue, variableLookup } from "./expand.js";
export { cacheFilesDigest, type CacheFilesDigestOptions } from "./files-digest.js";
export { digestFromHashes, sanitizeCacheKey, validateCacheKey, type SanitizedKey } from "./key.js";
export {
  restoreCaches,
  saveCaches,
  type RestoreCachesOptions,
  type SaveCachesOptions,
} from "./transfer.js";
