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
