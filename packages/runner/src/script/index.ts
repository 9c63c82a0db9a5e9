export { expandValue, runnerLookup } from "./expand.js";
export { serviceVariables } from "./service-variables.js";
export {
  AFTER_SCRIPT_STEP,
  afterScript,
  afterScriptStep,
  debugTraceOf,
  type HookName,
  hookCommands,
  hookScript,
  stageOfStep,
  stepScript,
  userSteps,
} from "./job-scripts.js";
export { isShellName, shellQuote } from "./shell-quote.js";
export {
  buildShellScript,
  commandLines,
  exportLines,
  noticeLine,
  prepareScript,
  scriptBody,
  type ShellScriptInputs,
  warningLine,
  wrapScript,
} from "./shell-script.js";
export {
  expandWith,
  fileVariablePath,
  fileVariables,
  findVariable,
  type JobStatus,
  type JobVariableInputs,
  type JobVariables,
  maskedValues,
  parseBool,
  type ResolvedVariable,
  type RunnerIdentity,
  resolveJobVariables,
  TEMP_PROJECT_DIR_KEY,
  tmpDirOf,
  variableValue,
  withJobStatus,
} from "./variables.js";
