/**
 * The shell executor's pure half: which shell runs the job (bash when it is on PATH, else sh —
 * gitlab-runner's shell executor uses bash by default on Unix, `shells/bash.go`), the argv and
 * stdin of one step, and the environment the step inherits. The script goes to the shell on stdin
 * as gitlab-runner's shell executor sends it (`executors/shell/shell.go` `shellScriptArgs`), after
 * one line that joins stderr to stdout so the log keeps the order in which lines were written.
 */
import { delimiter, join } from "node:path";
import { withoutRepositoryVariables } from "@conveyor/runner/core";

export type ShellName = "bash" | "sh";

export interface ShellCommand {
  /** What the session reports (`bash` or `sh`). */
  shell: ShellName;
  /** The program to start. */
  command: string;
  /** Arguments before the shell reads its script from stdin. */
  args: string[];
}

/** `bash` from PATH when there is one, else `sh`. */
export function chooseShell(
  pathValue: string | undefined,
  isExecutable: (path: string) => boolean,
): ShellCommand {
  for (const dir of (pathValue ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "bash");
    if (isExecutable(candidate)) return { shell: "bash", command: candidate, args: [] };
  }
  return { shell: "sh", command: "sh", args: [] };
}

export interface StepInvocation {
  command: string;
  args: string[];
  stdin: string;
}

/** How one step starts: `<shell> [-l] -s` with the script on stdin, stderr joined to stdout. */
export function stepInvocation(
  shell: ShellCommand,
  script: string,
  loginShell = false,
): StepInvocation {
  return {
    command: shell.command,
    args: [...shell.args, ...(loginShell ? ["-l"] : []), "-s"],
    stdin: `exec 2>&1\n${script}`,
  };
}

/**
 * The step's environment: this process's (the runner's shell executor inherits it), without
 * repository variables, plus the executor's extras. The script exports the job's variables.
 */
export function stepEnvironment(
  base: NodeJS.ProcessEnv,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return { ...withoutRepositoryVariables(base), ...extra };
}
