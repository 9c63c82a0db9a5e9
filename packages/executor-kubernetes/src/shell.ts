/**
 * The shell scripts the executor runs in the pod, all POSIX sh using only shell builtins and
 * /proc, so they work in any job image that has a shell:
 * - the build container's main process, which keeps the container alive until the pod is
 *   deleted (it reads a stdin nobody writes to; SIGTERM ends it at once);
 * - the helper container's main process (the same, with busybox `sleep`);
 * - the probe that finds the job image's shell (bash first, then sh, at gitlab-runner's paths,
 *   `shells/bash.go`);
 * - what a step writes to the shell's stdin: record the shell's pid for a later kill, run the
 *   script in a subshell with stdin from /dev/null, then kill what the script left running (a
 *   background process holding stdout would keep the exec stream open; the Docker executor gets
 *   the same effect by stopping the container after each step) and exit with the script's code;
 * - the kill of a step: every process whose parent chain or process group leads to the step's
 *   shell, each stopped as found (so nothing forks away) and then killed.
 * Pure.
 */
import { SHELL_PATHS, shellQuote } from "@conveyor/runner";
import { STEPS_DIR } from "./options.js";

export { SHELL_PATHS };

/** The build container's main process: waits on its stdin (kept open, never written). */
export const BUILD_KEEPALIVE = ["sh", "-c", `trap 'exit 0' TERM; while read -r _; do :; done`];

/** The helper container's main process. */
export const HELPER_KEEPALIVE = [
  "sh",
  "-c",
  `trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done`,
];

const PROBE_MARKER = "conveyor-detected-shell=";

/** Prints the path of the first shell found. */
export const SHELL_PROBE_COMMAND = [
  "sh",
  "-c",
  `for shell in ${SHELL_PATHS.join(" ")}; do ` +
    `if [ -x "$shell" ]; then echo "${PROBE_MARKER}$shell"; exit 0; fi; ` +
    `done; echo "shell not found" >&2; exit 1`,
];

/** The probe's answer: the shell's path and kind, or null. */
export function parseShellProbe(output: string): { path: string; shell: "bash" | "sh" } | null {
  const match = new RegExp(`${PROBE_MARKER}(/\\S+)`).exec(output);
  if (!match) return null;
  const path = match[1]!;
  return { path, shell: path.endsWith("/bash") ? "bash" : "sh" };
}

/**
 * A shell function `conveyor_kill_tree ROOT [keep]`: SIGSTOP then SIGKILL to every process
 * descending from ROOT or in its process group; `keep` spares ROOT itself. /proc/<pid>/stat
 * fields after the command name: state, ppid, pgrp (proc(5)).
 */
const KILL_TREE_FUNCTION = `conveyor_kill_tree() {
  conveyor_root=$1
  conveyor_keep=\${2:-}
  conveyor_pids=" $1 "
  conveyor_found=1
  while [ "$conveyor_found" = 1 ]; do
    conveyor_found=0
    for conveyor_dir in /proc/[0-9]*; do
      conveyor_pid=\${conveyor_dir#/proc/}
      case "$conveyor_pids" in *" $conveyor_pid "*) continue ;; esac
      [ "$conveyor_pid" = "$$" ] && continue
      read -r conveyor_stat 2>/dev/null <"$conveyor_dir/stat" || continue
      set -- \${conveyor_stat##*) }
      case "$conveyor_pids" in
        *" $2 "*) ;;
        *) [ "$3" = "$conveyor_root" ] || continue ;;
      esac
      kill -STOP "$conveyor_pid" 2>/dev/null
      conveyor_pids="$conveyor_pids$conveyor_pid "
      conveyor_found=1
    done
  done
  for conveyor_pid in $conveyor_pids; do
    if [ "$conveyor_pid" != "$conveyor_root" ] || [ "$conveyor_keep" != keep ]; then
      kill -KILL "$conveyor_pid" 2>/dev/null
    fi
  done
}`;

/** The step's pid file in the build container. */
export function pidFileOf(stepId: string): string {
  return `${STEPS_DIR}/${stepId}.pid`;
}

/** What the step's shell reads on stdin: see the module comment. */
export function stepStdin(script: string, pidFile: string): string {
  return [
    `echo $$ >${shellQuote(pidFile)}`,
    KILL_TREE_FUNCTION,
    `( eval ${shellQuote(script)} ) </dev/null`,
    "conveyor_status=$?",
    "conveyor_kill_tree $$ keep",
    "exit $conveyor_status",
    "",
  ].join("\n");
}

/** Kills a step's processes: run with `sh -c <this> conveyor-kill <pid file>`. */
export const KILL_STEP_SCRIPT = [
  KILL_TREE_FUNCTION,
  `read -r conveyor_step_pid 2>/dev/null <"$1" || exit 3`,
  `conveyor_kill_tree "$conveyor_step_pid"`,
].join("\n");
