/**
 * The scripts of one job, from its payload steps: each non-after_script step (`script`,
 * `release`) as a `step_<name>` stage, `after_script` with `CI_JOB_STATUS`, and the
 * `pre_get_sources_script` / `post_get_sources_script` hooks. gitlab-runner `shells/abstract.go`
 * (`writeUserScript`: the `release` step's commands are expanded by the runner;
 * `writeAfterScript`: "Running after script..."; `writeGetSourcesScript` hooks), `common/build.go`
 * (`StepToBuildStage`, `executeAfterScript`). Pure.
 */
import type { JobPayload, JobStep } from "@conveyor/protocol";
import { buildShellScript } from "./shell-script.js";
import {
  expandWith,
  type JobStatus,
  type JobVariables,
  parseBool,
  variableValue,
  withJobStatus,
} from "./variables.js";

export const AFTER_SCRIPT_STEP = "after_script";

/** `step_<name>` (runner `StepToBuildStage`). */
export function stageOfStep(step: JobStep): string {
  return `step_${step.name.toLowerCase()}`;
}

/** The steps that run in order before after_script. */
export function userSteps(payload: JobPayload): JobStep[] {
  return payload.steps.filter((step) => step.name !== AFTER_SCRIPT_STEP);
}

/** The after_script step, when it has commands. */
export function afterScriptStep(payload: JobPayload): JobStep | undefined {
  const step = payload.steps.find((s) => s.name === AFTER_SCRIPT_STEP);
  return step && step.script.length > 0 ? step : undefined;
}

/** `CI_DEBUG_TRACE=true` turns on `set -o xtrace`. */
export function debugTraceOf(variables: JobVariables): boolean {
  return parseBool(variableValue(variables, "CI_DEBUG_TRACE").toLowerCase()) === true;
}

/** The script of a `step_*` stage. */
export function stepScript(step: JobStep, variables: JobVariables, projectDir: string): string {
  const commands =
    step.name === "release" ? step.script.map((line) => expandWith(variables, line)) : step.script;
  return buildShellScript({
    variables,
    workingDir: projectDir,
    commands,
    debugTrace: debugTraceOf(variables),
  });
}

/** The after_script stage, with `CI_JOB_STATUS` set to how the job's script ended. */
export function afterScript(
  step: JobStep,
  variables: JobVariables,
  projectDir: string,
  status: JobStatus,
): string {
  const withStatus = withJobStatus(variables, status);
  return buildShellScript({
    variables: withStatus,
    workingDir: projectDir,
    notice: "Running after script...",
    commands: step.script,
    debugTrace: debugTraceOf(withStatus),
  });
}

export type HookName = "pre_get_sources_script" | "post_get_sources_script";

/** The commands of a get-sources hook, when the payload has any. */
export function hookCommands(payload: JobPayload, name: HookName): string[] {
  return (payload.hooks ?? []).filter((h) => h.name === name).flatMap((h) => h.script);
}

/** A hook's script: run in `workingDir` (the builds dir before the checkout, the project after). */
export function hookScript(
  commands: readonly string[],
  variables: JobVariables,
  workingDir: string,
): string {
  return buildShellScript({
    variables,
    workingDir,
    commands,
    debugTrace: debugTraceOf(variables),
  });
}
