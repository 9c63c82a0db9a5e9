export {
  type BuildDirs,
  type Executor,
  ExecutorError,
  type ExecutorSession,
  type PrepareRequest,
  type StepOutcome,
  type StepRequest,
} from "./executor.js";
export type { ArtifactStore, CacheStore, TraceSink } from "./ports.js";
