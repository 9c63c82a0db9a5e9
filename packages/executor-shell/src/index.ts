export { type GroupRun, type RunningGroup, startGroup } from "./process-group.js";
export {
  chooseShell,
  type ShellCommand,
  type ShellName,
  stepEnvironment,
  type StepInvocation,
  stepInvocation,
} from "./shell-command.js";
export { ShellExecutor, type ShellExecutorOptions } from "./shell-executor.js";
