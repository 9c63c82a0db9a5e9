export { executorContract } from "./executor-contract.js";
export { MemoryArtifactStore, MemoryCacheStore, type StoredUpload } from "./fake-stores.js";
export {
  commitFiles,
  createRepository,
  git,
  testPayload,
  type TestPayloadOptions,
  writeFiles,
} from "./fixtures.js";
