export { formatGoDuration, parseGoDuration } from "./durations.js";
export { exitMessage, failureText, type JobError, jobResultOf, statusOf } from "./job-errors.js";
export {
  DEFAULT_AFTER_SCRIPT_TIMEOUT_MS,
  DEFAULT_JOB_TIMEOUT_SECONDS,
  hostArch,
  type JobRunOutcome,
  runJob,
  type RunJobOptions,
  type StageTiming,
} from "./run-job.js";
export {
  artifactsToUpload,
  cachesToRestore,
  cachesToSave,
  dependenciesWithArtifacts,
} from "./stage-plan.js";
