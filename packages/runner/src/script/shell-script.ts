/**
 * Job scripts for a POSIX shell (bash, dash, busybox sh), written the way gitlab-runner's
 * `BashWriter` writes them (`shells/bash.go` `Finish`, `Variable`; `shells/abstract.go`
 * `writeExports`, `writeCdBuildDir`, `writeCommands`, `writeUserScript`, `writeAfterScript`):
 * errexit (and pipefail where the shell has it), the variables exported, a `cd` into the project,
 * then every command echoed as a green `$ command` line and run. The body runs inside
 * `: | (eval '…')` so that no command can read the script itself from stdin; the subshell is the
 * runner's `FF_USE_NEW_EVAL_STRATEGY` form, which keeps a failing command's exit code (bash 5
 * reports 1 for errexit inside a bare `: | eval`). Pure.
 */
import { fileVariablePath, type JobVariables } from "./variables.js";
import { isShellName, shellQuote } from "./shell-quote.js";

/** `printf` formats for the runner's colored `echo`s (helpers/ansi_colors.go). */
const NOTICE_FORMAT = String.raw`'\033[32;1m%s\033[0;m\n'`;
const WARNING_FORMAT = String.raw`'\033[0;33m%s\033[0;m\n'`;

export interface ShellScriptInputs {
  variables: JobVariables;
  /** The directory to `cd` into first (the project dir as the job sees it); none when omitted. */
  workingDir?: string;
  /** A green line printed before the commands (`Running after script...`). */
  notice?: string;
  /** The user's commands, each echoed then run. */
  commands: readonly string[];
  /** `CI_DEBUG_TRACE`: `set -o xtrace`. */
  debugTrace?: boolean;
}

/** A green line, as the runner's `Noticef` writes it. */
export function noticeLine(text: string): string {
  return `printf ${NOTICE_FORMAT} ${shellQuote(text)}`;
}

/** A yellow line, as the runner's `Warningf` writes it. */
export function warningLine(text: string): string {
  return `printf ${WARNING_FORMAT} ${shellQuote(text)}`;
}

/** `export KEY=value` lines; file variables point at their file (written by the runner). */
export function exportLines(variables: JobVariables): string[] {
  const lines: string[] = [];
  for (const v of variables.list) {
    // GitLab keys are [A-Za-z0-9_]+; a key the shell cannot export would abort the script.
    if (!isShellName(v.key)) continue;
    const value = v.file ? fileVariablePath(variables.tmpDir, v.key) : v.value;
    lines.push(`export ${v.key}=${shellQuote(value)}`);
  }
  return lines;
}

/**
 * How the runner shows a command before running it: `$ command`, or the first line and
 * `# collapsed multi-line command`; an empty command prints an empty line.
 */
export function commandLines(command: string): string[] {
  const trimmed = command.trim();
  if (trimmed === "") return ["echo", ""];
  const newline = trimmed.indexOf("\n");
  const shown =
    newline === -1
      ? `$ ${trimmed}`
      : `$ ${trimmed.slice(0, newline)} # collapsed multi-line command`;
  return [noticeLine(shown), trimmed];
}

/** The body: exports, cd, notice and commands, one shell line (or block) each. */
export function scriptBody(inputs: ShellScriptInputs): string {
  const lines = exportLines(inputs.variables);
  if (inputs.workingDir !== undefined) lines.push(`cd ${shellQuote(inputs.workingDir)}`);
  if (inputs.notice !== undefined) lines.push(noticeLine(inputs.notice));
  for (const command of inputs.commands) lines.push(...commandLines(command));
  return lines.join("\n") + "\n";
}

/**
 * Wraps a body as the runner's `BashWriter.Finish` does: shell options, then the body in
 * `: | (eval '…')` (stdin empty for the commands), then `exit 0`.
 */
export function wrapScript(body: string, debugTrace = false): string {
  const head = [
    debugTrace ? "set -o xtrace" : undefined,
    // The runner asks `set -o | grep pipefail`; a subshell trying the option answers the same
    // without starting grep for every script (dash before 0.5.11 and some sh lack pipefail).
    "if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi; set -o errexit",
    "set +o noclobber",
  ].filter((line) => line !== undefined);
  return `${head.join("\n")}\n: | (eval ${shellQuote(body)})\nexit 0\n`;
}

/** A complete script for a step (`step_script`, `after_script`, hooks). */
export function buildShellScript(inputs: ShellScriptInputs): string {
  return wrapScript(scriptBody(inputs), inputs.debugTrace === true);
}

/**
 * The `prepare_script` stage: prints where the job runs (runner `BashShell.generateScript`,
 * `ensurePrepareStageHostnameMessage`).
 */
export function prepareScript(): string {
  // bash knows its host's name ($HOSTNAME); other shells ask hostname, else uname.
  return wrapScript('echo "Running on ${HOSTNAME:-$(hostname 2>/dev/null || uname -n)}..."\n');
}
