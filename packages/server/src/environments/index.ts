/**
 * Environments' lifecycle: jobs' environments and deployments made with their pipeline, stopping
 * (by hand, by `on_stop` jobs, by `auto_stop_in`), tiers.
 */
export { autoStopChange } from "./auto-stop.js";
export {
  EnvironmentLifecycle,
  type EnvironmentLifecycleOptions,
  type PipelineEvents,
  type StopOptions,
} from "./lifecycle.js";
export { PlannedJobs, type PlannedJobsOptions } from "./planned-jobs.js";
export { type StopAction, stopActionsOf, type StopStep, stopStepOf } from "./stop-actions.js";
export { TIERS, tierOfName } from "./tier.js";
