export {
  buildJobPayload,
  DEFAULT_GIT_DEPTH,
  type PayloadDependency,
  type PayloadInputs,
} from "./build-payload.js";
export type { CacheKeyInputs } from "./cache.js";
