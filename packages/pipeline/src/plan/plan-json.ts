/** The stable JSON shape of `conveyor plan --json` (also the compatibility corpus's `plan.json`). */
import type { Diagnostic } from "../diagnostics.js";
import type { Plan, PlannedJob } from "./plan.js";

export interface PlanJson {
  created: boolean;
  reason?: string;
  stages: string[];
  jobs: PlanJobJson[];
  errors: DiagnosticJson[];
}

export interface PlanJobJson {
  name: string;
  stage: string;
  when: string;
  start_in?: string;
  allow_failure: boolean;
  needs: string[] | null;
  variables: Record<string, string>;
}

export interface DiagnosticJson {
  message: string;
  file: string;
  line?: number;
  column?: number;
  path: string;
}

export function planToJson(plan: Plan): PlanJson {
  return {
    created: plan.created,
    ...(plan.reason !== undefined ? { reason: plan.reason } : {}),
    stages: plan.stages,
    jobs: plan.jobs.map(jobToJson),
    errors: plan.errors.map(diagnosticToJson),
  };
}

function jobToJson(job: PlannedJob): PlanJobJson {
  const { name, stage, when } = job;
  // Two literals rather than a spread in the middle: this runs for every job of a plan.
  return job.startIn === undefined
    ? {
        name,
        stage,
        when,
        allow_failure: job.allowFailure,
        needs: job.needs,
        variables: job.variables,
      }
    : {
        name,
        stage,
        when,
        start_in: job.startIn,
        allow_failure: job.allowFailure,
        needs: job.needs,
        variables: job.variables,
      };
}

export function diagnosticToJson(d: Diagnostic): DiagnosticJson {
  return {
    message: d.message,
    file: d.file,
    ...(d.line !== undefined ? { line: d.line } : {}),
    ...(d.column !== undefined ? { column: d.column } : {}),
    path: d.path,
  };
}
