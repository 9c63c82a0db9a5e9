/**
 * The shell inside the job container: how it is started, how the executor learns which shell the
 * image has, and how a step's script is handed to it over standard input.
 *
 * GitLab facts: the job container is created with the image's entrypoint (or `image:entrypoint`)
 * and a command `sh -c <detection>` that runs the first of bash then sh found at the usual paths;
 * the runner attaches to the container and writes the script to the shell's standard input
 * (https://docs.gitlab.com/ci/docker/using_docker_images/#override-the-entrypoint-of-an-image;
 * gitlab-runner `shells/bash.go` detection script, `executors/docker/docker_command.go`).
 */
import { SHELL_PATHS, shellQuote } from "@conveyor/runner";

export { SHELL_PATHS };

/** The job container's command: exec the first shell found, which then reads its script on stdin. */
export function shellDetectionCommand(): string[] {
  const script =
    `for shell in ${SHELL_PATHS.join(" ")}; do ` +
    `if [ -x "$shell" ]; then exec "$shell"; fi; ` +
    `done; echo "shell not found" >&2; exit 1`;
  return ["sh", "-c", script];
}

const PROBE_MARKER = "conveyor-detected-shell=";

/** A script that reports which shell runs it (bash sets BASH_VERSION, also when started as sh). */
export const SHELL_PROBE_SCRIPT = `if [ -n "\${BASH_VERSION:-}" ]; then echo ${PROBE_MARKER}bash; else echo ${PROBE_MARKER}sh; fi`;

/** Reads the probe's answer out of the container's output (an entrypoint may print around it). */
export function parseShellProbe(output: string): "bash" | "sh" | null {
  const match = new RegExp(`${PROBE_MARKER}(bash|sh)\\b`).exec(output);
  return match ? (match[1] as "bash" | "sh") : null;
}

/**
 * What the executor writes to the shell's stdin for one step. The whole script becomes one quoted
 * `eval` argument, so the shell reads all of it before running anything, and the script's commands
 * read /dev/null instead of the rest of the script.
 */
export function stdinForScript(script: string): string {
  return `eval ${shellQuote(script)} </dev/null\n`;
}
