export { autoCancelConfig } from "./auto-cancel.js";
export { type CompositeStatus, compositeStatus, type StatusEntry } from "./composite.js";
export {
  DEFAULT_TIMEOUT_SECONDS,
  type JobSettings,
  jobSettings,
  type SettingsOptions,
} from "./job-settings.js";
export { PipelineRun, type RunOptions } from "./pipeline-run.js";
export { type Failure, parseRetry, type RetryPolicy, shouldRetry } from "./retry.js";
export {
  CANCELABLE_STATUSES,
  COMPLETED_STATUSES,
  type JobStatus,
  type PipelineStatus,
  pipelineStatusText,
} from "./statuses.js";
export type {
  ArtifactSource,
  AutoCancelMode,
  Decision,
  EngineEvent,
  JobAttempt,
  JobRef,
  StageSummary,
} from "./types.js";
