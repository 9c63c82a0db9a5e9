/**
 * `conveyor run JOB...`: the part of a planned pipeline the user asked for. A name selects the
 * job of that name, or every instance of a `parallel` job by its YAML key (`unit` selects
 * `unit 1/2` and `unit 2/2`). With `--needs` the jobs they need come along, transitively; without
 * it, needs on jobs left out are dropped, so the named jobs start at once (their artifacts are
 * then not there, as when GitLab runs a job whose needed jobs were not in the pipeline). Pure.
 */
import type { Plan, PlannedJob } from "@conveyor/pipeline";

export class JobSelectionError extends Error {}

export function selectJobs(plan: Plan, names: readonly string[], withNeeds: boolean): Plan {
  if (names.length === 0) return plan;
  const byName = new Map(plan.jobs.map((job) => [job.name, job]));
  const chosen = new Set<string>();
  const unknown: string[] = [];
  for (const name of names) {
    const matches = plan.jobs.filter((job) => job.name === name || job.jobName === name);
    if (matches.length === 0) unknown.push(name);
    for (const job of matches) chosen.add(job.name);
  }
  if (unknown.length > 0) {
    const list = unknown.map((name) => `'${name}'`).join(", ");
    throw new JobSelectionError(
      `no job ${list} in this pipeline (see 'conveyor plan' for the jobs it has)`,
    );
  }
  if (withNeeds) {
    const pending = [...chosen];
    while (pending.length > 0) {
      const job = byName.get(pending.pop()!);
      for (const need of job?.needs ?? []) {
        if (!chosen.has(need) && byName.has(need)) {
          chosen.add(need);
          pending.push(need);
        }
      }
    }
  }
  const jobs = plan.jobs.filter((job) => chosen.has(job.name)).map((job) => keepNeeds(job, chosen));
  const stages = plan.stages.filter((stage) => jobs.some((job) => job.stage === stage));
  return { ...plan, stages, jobs };
}

function keepNeeds(job: PlannedJob, chosen: ReadonlySet<string>): PlannedJob {
  if (job.needs === null || job.needs.every((need) => chosen.has(need))) return job;
  return {
    ...job,
    needs: job.needs.filter((need) => chosen.has(need)),
    needsArtifacts: job.needsArtifacts.filter((need) => chosen.has(need)),
  };
}
