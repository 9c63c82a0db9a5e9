/**
 * Whether a runner may take a job (GitLab's `Ci::Runner#matches_build?` and the queue's scope):
 * not paused; a project runner only for its projects; every job tag among the runner's tags;
 * an untagged job only when the runner runs untagged jobs; a `ref_protected` runner only for
 * protected refs (docs: ci/runners/configure_runners, "Use tags to control which jobs a runner
 * can run").
 */
import type { JobRecord, RunnerRecord } from "../store/types.js";

export function runnerMatches(
  runner: RunnerRecord,
  job: JobRecord,
  protectedRef: boolean,
): boolean {
  if (runner.paused) return false;
  if (runner.runnerType === "project_type" && !runner.projectIds.includes(job.projectId)) {
    return false;
  }
  if (runner.accessLevel === "ref_protected" && !protectedRef) return false;
  if (job.tags.length === 0) return runner.runUntagged;
  const own = new Set(runner.tags);
  return job.tags.every((tag) => own.has(tag));
}
