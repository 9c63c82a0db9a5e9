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
export {
  CLIENT_CLOSED,
  FakeCoordinator,
  type FakeCoordinatorOptions,
  type FakeJob,
} from "../agent/testing/fake-coordinator.js";
export {
  ScriptedExecutor,
  type StepBehavior,
  succeed,
  untilCanceled,
  waitFor,
} from "../agent/testing/scripted-executor.js";
