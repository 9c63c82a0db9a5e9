export {
  buildJobPayload,
  DEFAULT_GIT_DEPTH,
  type PayloadDependency,
  type PayloadInputs,
} from "./build-payload.js";
export { cacheKeyFileLists, type CacheKeyInputs } from "./cache.js";
