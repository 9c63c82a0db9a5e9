export type {
  ArtifactWhen,
  CachePolicy,
  GitInfo,
  JobArtifact,
  JobCache,
  JobDependency,
  JobImage,
  JobInfo,
  JobPayload,
  JobService,
  JobStep,
  JobVariable,
  PullPolicy,
  RunnerInfo,
  StepWhen,
} from "./job-payload.js";
export {
  FAILURE_REASONS,
  type FailureReason,
  type FinalJobState,
  type JobResult,
} from "./job-result.js";
