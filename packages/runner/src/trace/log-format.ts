/**
 * The runner's own log lines and section markers, byte for byte as gitlab-runner writes them:
 * `common/buildlogger` (`Println` = clear + text + reset, `Infoln` green, `Warningln` yellow
 * `WARNING: `, `SoftErrorln`/`Errorln` red `ERROR: `), `helpers/build_section.go`
 * (`section_start:<unix>:<name>\r\e[0K`, `section_end:<unix>:<name>\r\e[0K`, the header in
 * bold cyan), `common/build.go` (stage descriptions, the `Running with` header).
 * Docs: https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections. Pure.
 */
import {
  ANSI_BOLD_CYAN,
  ANSI_BOLD_GREEN,
  ANSI_BOLD_RED,
  ANSI_CLEAR,
  ANSI_RESET,
  ANSI_YELLOW,
} from "./ansi.js";

/** `Println`: a plain runner line. */
export function plainLine(text: string): string {
  return `${ANSI_CLEAR}${text}${ANSI_RESET}\n`;
}

/** `Infoln`: a green line (`Job succeeded`). */
export function infoLine(text: string): string {
  return `${ANSI_BOLD_GREEN}${text}${ANSI_RESET}\n`;
}

/** `Noticef` in a script: the same green as `Infoln`. */
export const noticeText = infoLine;

/** `Warningln`. */
export function warningText(text: string): string {
  return `${ANSI_YELLOW}WARNING: ${text}${ANSI_RESET}\n`;
}

/** `SoftErrorln` / `Errorln`. */
export function errorText(text: string): string {
  return `${ANSI_BOLD_RED}ERROR: ${text}${ANSI_RESET}\n`;
}

/** A section's first bytes; `unixSeconds` is the start time. */
export function sectionStart(unixSeconds: number, name: string): string {
  return `section_start:${unixSeconds}:${name}\r${ANSI_CLEAR}`;
}

export function sectionEnd(unixSeconds: number, name: string): string {
  return `section_end:${unixSeconds}:${name}\r${ANSI_CLEAR}`;
}

/** The stage header printed inside a section (`Println` of bold cyan text). */
export function stageHeader(text: string): string {
  return plainLine(`${ANSI_BOLD_CYAN}${text}${ANSI_RESET}`);
}

/** Runner `GetStageDescription`. */
export function stageDescription(stage: string): string {
  switch (stage) {
    case "prepare_script":
      return "Preparing environment";
    case "get_sources":
      return "Getting source from Git repository";
    case "restore_cache":
      return "Restoring cache";
    case "download_artifacts":
      return "Downloading artifacts";
    case "after_script":
      return "Running after_script";
    case "archive_cache":
      return "Saving cache for successful job";
    case "archive_cache_on_failure":
      return "Saving cache for failed job";
    case "upload_artifacts_on_success":
      return "Uploading artifacts for successful job";
    case "upload_artifacts_on_failure":
      return "Uploading artifacts for failed job";
    case "cleanup_file_variables":
      return "Cleaning up project directory and file based variables";
    default:
      return `Executing "${stage}" stage of the job script`;
  }
}

/** `Running with <name> <version> (<revision>)` (runner `AppVersion.Line`). */
export function runningWithLine(version: string, revision?: string): string {
  return plainLine(`Running with conveyor ${version}${revision ? ` (${revision})` : ""}`);
}

/** The docs link the runner adds to timeout warnings. */
export const TIMEOUTS_DOCS_URL =
  "https://docs.gitlab.com/ci/runners/configure_runners/#set-script-and-after_script-timeouts";

/** `<stage> could not run to completion because the timeout was exceeded. …` */
export function stageTimeoutWarning(stage: string): string {
  return (
    `${stage} could not run to completion because the timeout was exceeded. ` +
    `For more control over job and script timeouts see: ${TIMEOUTS_DOCS_URL}`
  );
}
