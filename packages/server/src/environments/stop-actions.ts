/**
 * The jobs that stop an environment (GitLab's "stop actions"): "The stop jobs of finished
 * deployments in the latest finished pipeline are run when an environment is stopped. A
 * deployment or pipeline is finished if it has the successful, canceled, or failed status"
 * (docs: ci/environments, "Run a pipeline job when environment is stopped",
 * https://docs.gitlab.com/ci/environments/#run-a-pipeline-job-when-environment-is-stopped).
 * Several deployment jobs of that pipeline may name one each ("Multiple stop actions").
 */
import type { JobStatus } from "@conveyor/engine";
import type { DeploymentStatus, EnvironmentRecord, Store } from "../store/types.js";

/** One stop job: the current attempt of `jobName` in `pipelineId`. */
export interface StopAction {
  pipelineId: number;
  jobName: string;
  jobId: number;
  status: JobStatus;
}

/**
 * How a stop job is set going: a manual (or delayed) job is played; a finished one is retried,
 * as GitLab's play falls back to a retry for a job that is no longer playable; one that is
 * already on its way is waited for. A skipped job, or one being canceled, cannot stop anything.
 */
export type StopStep = "play" | "retry" | "wait";

const STEPS: Partial<Record<JobStatus, StopStep>> = {
  manual: "play",
  scheduled: "play",
  success: "retry",
  failed: "retry",
  canceled: "retry",
  created: "wait",
  waiting_for_resource: "wait",
  pending: "wait",
  running: "wait",
};

export function stopStepOf(status: JobStatus): StopStep | undefined {
  return STEPS[status];
}

const FINISHED: ReadonlySet<DeploymentStatus> = new Set(["success", "failed", "canceled"]);

/** How many of an environment's newest deployments are looked at for its last pipeline. */
const LOOK_BACK = 100;

/** The environment's stop jobs that can still run, in the order their deployments were made. */
export async function stopActionsOf(
  store: Store,
  environment: EnvironmentRecord,
): Promise<StopAction[]> {
  const newest = (
    await store.deployments.list(environment.projectId, {
      environmentId: environment.id,
      sort: "desc",
      limit: LOOK_BACK,
    })
  ).filter((deployment) => FINISHED.has(deployment.status) && deployment.pipelineId !== undefined);
  const pipelineId = newest[0]?.pipelineId;
  if (pipelineId === undefined) return [];
  const names = [
    ...new Set(
      newest
        .filter((deployment) => deployment.pipelineId === pipelineId)
        .reverse()
        .flatMap((deployment) => (deployment.onStop ? [deployment.onStop] : [])),
    ),
  ];
  if (names.length === 0) return [];
  const jobs = await store.jobs.ofPipeline(pipelineId);
  return names.flatMap((jobName) => {
    const current = jobs
      .filter((job) => job.name === jobName && !job.retried)
      .sort((a, b) => a.id - b.id)
      .at(-1);
    if (!current || stopStepOf(current.status) === undefined) return [];
    return [{ pipelineId, jobName, jobId: current.id, status: current.status }];
  });
}
