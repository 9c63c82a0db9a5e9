/**
 * The variables a job's shell sees: the runner's own (`CI_BUILDS_DIR`, `CI_PROJECT_DIR`,
 * `CI_SERVER`, `CI_JOB_STATUS`, `CI_RUNNER_*`, …) around the payload's variables, in the order
 * gitlab-runner builds them, then expanded once the way the runner does.
 * gitlab-runner `common/build.go` (`GetAllVariables`, `GetDefaultVariables`,
 * `getBaseVariablesBeforeJob/AfterJob`, `GetSharedEnvVariable`, `TmpProjectDir`),
 * `common/spec/variables.go` (`Expand`, `tmpFile`, `Masked`). Pure.
 */
import type { JobPayload } from "@conveyor/protocol";
import { expandValue, runnerLookup } from "./expand.js";

/** `CI_JOB_STATUS`: `running` during the job; after_script sees how the script ended. */
export type JobStatus = "running" | "success" | "failed" | "canceled" | "timedout";

/** What the runner reports about itself (`CI_RUNNER_VERSION`, …, and the log header). */
export interface RunnerIdentity {
  /** e.g. `0.1.0`. */
  version: string;
  revision?: string;
  /** `CI_RUNNER_EXECUTABLE_ARCH`, e.g. `linux/amd64`. */
  arch: string;
  /** Shown in the log header (`on <name>`). */
  name?: string;
}

export interface JobVariableInputs {
  payload: JobPayload;
  /** `shell`, `docker`, … — the shell executor shares its environment (`CI_SHARED_ENVIRONMENT`). */
  executorName: string;
  /** `CI_BUILDS_DIR` as the job sees it. */
  buildsDir: string;
  /** `CI_PROJECT_DIR` as the job sees it. */
  projectDir: string;
  /** `CI_CONCURRENT_ID` / `CI_CONCURRENT_PROJECT_ID`. */
  concurrentId: number;
  /** The job timeout in seconds (`CI_JOB_TIMEOUT`). */
  timeoutSeconds: number;
  runner: RunnerIdentity;
}

/** One variable after expansion; file variables keep their content in `value`. */
export interface ResolvedVariable {
  key: string;
  value: string;
  file: boolean;
  masked: boolean;
  raw: boolean;
  public: boolean;
}

export interface JobVariables {
  /** Every variable in export order (later duplicates win), values expanded. */
  readonly list: readonly ResolvedVariable[];
  /** `<project dir>.tmp` as the job sees it: where file variables live. */
  readonly tmpDir: string;
}

/** gitlab-runner `spec.TempProjectDirVariableKey`. */
export const TEMP_PROJECT_DIR_KEY = "RUNNER_TEMP_PROJECT_DIR";

/** `<project dir>.tmp` (runner `Build.TmpProjectDir`). */
export function tmpDirOf(projectDir: string): string {
  return `${projectDir}.tmp`;
}

/** Where a file variable's content is written, as the job sees it (runner `Variables.tmpFile`). */
export function fileVariablePath(tmpDir: string, key: string): string {
  return `${tmpDir}/${key}`;
}

function variable(key: string, value: string): ResolvedVariable {
  return { key, value, file: false, masked: false, raw: false, public: true };
}

/** The job's variables as gitlab-runner assembles and expands them. */
export function resolveJobVariables(inputs: JobVariableInputs): JobVariables {
  const { payload, runner } = inputs;
  const tmpDir = tmpDirOf(inputs.projectDir);
  const given = new Set(payload.variables.map((v) => v.key));
  const before: ResolvedVariable[] = [];
  if (payload.image?.name) before.push(variable("CI_JOB_IMAGE", payload.image.name));
  before.push(
    variable("CI_BUILDS_DIR", inputs.buildsDir),
    variable("CI_PROJECT_DIR", inputs.projectDir),
    variable("CI_CONCURRENT_ID", String(inputs.concurrentId)),
    variable("CI_CONCURRENT_PROJECT_ID", String(inputs.concurrentId)),
    variable("CI_SERVER", "yes"),
    variable("CI_JOB_STATUS", "running"),
    variable("CI_JOB_TIMEOUT", String(inputs.timeoutSeconds)),
  );
  // GitLab sends these two with every job; a payload built elsewhere may lack them.
  if (!given.has("CI")) before.push(variable("CI", "true"));
  if (!given.has("GITLAB_CI")) before.push(variable("GITLAB_CI", "true"));
  const job: ResolvedVariable[] = payload.variables.map((v) => ({
    key: v.key,
    value: v.value,
    file: v.file === true,
    masked: v.masked === true,
    raw: v.raw === true,
    public: v.public,
  }));
  const after: ResolvedVariable[] = [
    variable(
      inputs.executorName === "shell" ? "CI_SHARED_ENVIRONMENT" : "CI_DISPOSABLE_ENVIRONMENT",
      "true",
    ),
    variable("CI_RUNNER_VERSION", runner.version),
    variable("CI_RUNNER_REVISION", runner.revision ?? ""),
    variable("CI_RUNNER_EXECUTABLE_ARCH", runner.arch),
    variable(TEMP_PROJECT_DIR_KEY, tmpDir),
  ];
  const raw = [...before, ...job, ...after];
  return { list: expandAll(raw, tmpDir), tmpDir };
}

/** Runner `Variables.Expand`: every non-raw value expanded against the unexpanded list. */
function expandAll(list: readonly ResolvedVariable[], tmpDir: string): ResolvedVariable[] {
  const last = new Map<string, ResolvedVariable>();
  for (const v of list) last.set(v.key, v);
  const lookup = runnerLookup((name) => {
    const found = last.get(name);
    if (!found) return undefined;
    return found.file ? fileVariablePath(tmpDir, found.key) : found.value;
  });
  return list.map((v) => (v.raw ? v : { ...v, value: expandValue(v.value, lookup) }));
}

/** The last variable with the key (what the shell ends up with), or undefined. */
export function findVariable(variables: JobVariables, key: string): ResolvedVariable | undefined {
  return variables.list.findLast((v) => v.key === key);
}

/** The value of a variable for settings (`GIT_STRATEGY`, …): the content, even for files. */
export function variableValue(variables: JobVariables, key: string): string {
  return findVariable(variables, key)?.value ?? "";
}

/** Expands a string with the job's variables (runner `ExpandValue`; file variables → paths). */
export function expandWith(variables: JobVariables, text: string): string {
  return expandValue(
    text,
    runnerLookup((name) => {
      const found = findVariable(variables, name);
      if (!found) return undefined;
      return found.file ? fileVariablePath(variables.tmpDir, found.key) : found.value;
    }),
  );
}

/** The same variables with `CI_JOB_STATUS` set (runner `OverwriteKey` before after_script). */
export function withJobStatus(variables: JobVariables, status: JobStatus): JobVariables {
  let done = false;
  const list = variables.list.map((v) => {
    if (done || v.key !== "CI_JOB_STATUS") return v;
    done = true;
    return { ...v, value: status, file: false, masked: false, raw: false };
  });
  return { list, tmpDir: variables.tmpDir };
}

/** The file variables to write, one per key (the last one wins), with their contents. */
export function fileVariables(variables: JobVariables): { key: string; value: string }[] {
  const last = new Map<string, ResolvedVariable>();
  for (const v of variables.list) last.set(v.key, v);
  return [...last.values()].filter((v) => v.file).map((v) => ({ key: v.key, value: v.value }));
}

/** Values to hide in the log (runner `Variables.Masked`), trimmed, without empties. */
export function maskedValues(variables: JobVariables): string[] {
  return variables.list.filter((v) => v.masked).map((v) => v.value);
}

/** Go's `strconv.ParseBool` as the runner reads boolean variables. */
export function parseBool(value: string): boolean | undefined {
  switch (value) {
    case "1":
    case "t":
    case "T":
    case "true":
    case "TRUE":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "false":
    case "FALSE":
    case "False":
      return false;
    default:
      return undefined;
  }
}
