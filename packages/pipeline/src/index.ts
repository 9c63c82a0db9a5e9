export type { ConfigSource } from "./config-source.js";
export type { Diagnostic, SourcePosition } from "./diagnostics.js";
export { ConfigError } from "./diagnostics.js";
export type {
  CommitInfo,
  MergeRequestInfo,
  PipelineEvent,
  PipelineSource,
  ProjectInfo,
  RefInfo,
} from "./event.js";
export { PIPELINE_SOURCES } from "./event.js";
export { buildEvent, type EventSpec, EventSpecError } from "./event-spec.js";
export {
  hasErrors,
  type LoadedPipeline,
  type LoadOptions,
  loadPipeline,
  planLoaded,
} from "./load-pipeline.js";
export type { CompiledJob, CompiledPipeline } from "./plan/compile.js";
export {
  type ChangedPathsComparedTo,
  type JobWhen,
  type Plan,
  type PlannedJob,
  type PlanOptions,
  planPipeline,
} from "./plan/plan.js";
export {
  type DiagnosticJson,
  diagnosticToJson,
  type PlanJson,
  planToJson,
} from "./plan/plan-json.js";
export {
  environmentSlug,
  expandVariables,
  type JobEnvironment,
  type JobInfo as JobVariablesInfo,
  mergeByPrecedence,
  predefinedVariables,
  RUNNER_EXPANSION,
  slugify,
  sortAndExpandAll,
  type Variable,
  type VariableSource,
} from "./variables/index.js";
export { type ConfigMap, isMap } from "./compose/deep-merge.js";
export { builtinTemplate, builtinTemplateNames } from "./templates/index.js";
