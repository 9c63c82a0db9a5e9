export {
  type BuildDirs,
  type Executor,
  ExecutorError,
  type ExecutorSession,
  type PrepareRequest,
  type StepOutcome,
  type StepRequest,
  type WorkspaceTransfer,
} from "./executor.js";
export type { ArtifactStore, CacheStore, TraceSink } from "./ports.js";
export {
  isLeftOver,
  type OwnerMarks,
  checkExecutorOptions,
  processAlive,
  resolveJobImage,
  serviceWarningLines,
  SHELL_PATHS,
  type StaleContext,
} from "./container-executors.js";
export { type Cleanable, cleanupRegistryOnSignals, SessionRegistry } from "./session-registry.js";
export * from "./job/index.js";
export {
  AFTER_SCRIPT_STEP,
  afterScript,
  afterScriptStep,
  buildShellScript,
  commandLines,
  debugTraceOf,
  expandWith,
  exportLines,
  fileVariablePath,
  fileVariables,
  findVariable,
  type HookName,
  hookCommands,
  hookScript,
  isShellName,
  type JobStatus,
  type JobVariableInputs,
  type JobVariables,
  maskedValues,
  noticeLine,
  parseBool,
  serviceVariables,
  prepareScript,
  type ResolvedVariable,
  type RunnerIdentity,
  resolveJobVariables,
  runnerLookup,
  scriptBody,
  shellQuote,
  type ShellScriptInputs,
  stageOfStep,
  stepScript,
  TEMP_PROJECT_DIR_KEY,
  tmpDirOf,
  userSteps,
  variableValue,
  warningLine,
  withJobStatus,
  wrapScript,
} from "./script/index.js";
export * from "./trace/index.js";
export * from "./workspace/index.js";
export * from "./artifacts/index.js";
export * from "./cache/index.js";
export * from "./stores/index.js";
export * from "./reports/index.js";
export * from "./agent/index.js";
