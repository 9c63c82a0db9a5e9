/**
 * The runner core alone, for commands that run jobs on this machine (`conveyor run`): one job
 * from payload to result (runJob), the executor interface, the stores under `.conveyor/`. Unlike
 * the package's main entry it leaves out the agent, the report parsers and the archive code
 * (runJob loads that when a job first moves artifacts or caches), so that a short command loads
 * only what it uses. Everything here is also exported by the main entry.
 */
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
export {
  hostArch,
  type JobRunOutcome,
  runJob,
  type RunJobOptions,
  type StageTiming,
} from "./job/run-job.js";
export { withoutRepositoryVariables } from "./workspace/git-process.js";
export { LocalArtifactStore, type StoredArtifact } from "./stores/local-artifact-store.js";
export { LocalCacheStore } from "./stores/local-cache-store.js";
