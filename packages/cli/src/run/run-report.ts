/**
 * The end of `conveyor run`: the summary table and the `--report FILE` JSON
 * (`{"status", "jobs": [{"name", "stage", "status", "allow_failure", "exit_code", "duration_s"}]}`),
 * statuses in GitLab's words.
 */
import { renderTable } from "../commands/table.js";

export interface JobOutcomeRow {
  name: string;
  stage: string;
  /** GitLab's job status: success, failed, canceled, skipped, manual, created, … */
  status: string;
  allowFailure: boolean;
  exitCode?: number;
  /** Seconds; absent for a job that never ran. */
  durationS?: number;
}

export interface RunReport {
  status: string;
  jobs: {
    name: string;
    stage: string;
    status: string;
    allow_failure: boolean;
    exit_code: number | null;
    duration_s: number | null;
  }[];
}

export function runReport(status: string, jobs: readonly JobOutcomeRow[]): RunReport {
  return {
    status,
    jobs: jobs.map((job) => ({
      name: job.name,
      stage: job.stage,
      status: job.status,
      allow_failure: job.allowFailure,
      exit_code: job.exitCode ?? null,
      duration_s: job.durationS === undefined ? null : Math.round(job.durationS * 1000) / 1000,
    })),
  };
}

/** A failed job that was allowed to fail is shown as GitLab shows it: failed, with a warning mark. */
export function summaryTable(jobs: readonly JobOutcomeRow[]): string {
  return renderTable(
    ["JOB", "STAGE", "STATUS", "DURATION"],
    jobs.map((job) => [
      job.name,
      job.stage,
      job.status === "failed" && job.allowFailure ? "failed (allowed to fail)" : job.status,
      job.durationS === undefined ? "" : formatDuration(job.durationS),
    ]),
  );
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, "0")}s`;
}
