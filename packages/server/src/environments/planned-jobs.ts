/**
 * What a pipeline's jobs with `environment:` leave in the store when the pipeline (or a retry)
 * creates them, as GitLab does when it creates a pipeline (Environments::CreateForJobService and
 * Deployments::CreateForJobService; docs: https://docs.gitlab.com/ci/environments/ and
 * https://docs.gitlab.com/api/deployments/): the job's environment, created when new; the note
 * of which environment the job acts on (store.jobEnvironments); and, for a job that deploys
 * (`action: start`, the default), its deployment, `created` until a runner takes the job.
 *
 * The environment is named as the job's payload names it (dispatch/payload.ts `plannedPayload`,
 * then `jobEnvironmentOf`), with what is known before the job runs. The note is written last, so
 * a job with a note has everything else too: `plan` skips such jobs, and planning a restored
 * pipeline's jobs again after a restart writes only what a stopped server left undone.
 */
import type { PayloadContext } from "../dispatch/payload.js";
import { plannedPayload } from "../dispatch/payload.js";
import {
  environmentOfJob,
  jobEnvironmentOf,
  rememberEnvironment,
} from "../dispatch/environments.js";
import { recordJobDeployment } from "../deploy/job-deployments.js";
import type { PipelineHost } from "../pipelines/pipeline-host.js";

export interface PlannedJobsOptions {
  /** What a payload is built from (the store, the secret box, the server's URL). */
  payloads: PayloadContext;
  clock: () => number;
  /** One job's records could not be written (the server logs it; its start writes them). */
  onError: (error: unknown) => void;
}

export class PlannedJobs {
  constructor(private readonly options: PlannedJobsOptions) {}

  /**
   * Writes the environment records of the pipeline's jobs `jobIds` that have none yet; answers
   * the ids of the jobs it wrote them for.
   */
  async plan(host: PipelineHost, jobIds: readonly number[]): Promise<number[]> {
    const planned: number[] = [];
    for (const jobId of jobIds) {
      try {
        if (await this.planJob(host, jobId)) planned.push(jobId);
      } catch (error) {
        this.options.onError(error);
      }
    }
    return planned;
  }

  private async planJob(host: PipelineHost, jobId: number): Promise<boolean> {
    const { payloads, clock } = this.options;
    const store = payloads.store;
    const keyword = host.attempt(jobId)?.job.definition.environment;
    if (keyword === undefined) return false;
    if (await store.jobEnvironments.ofJob(jobId)) return false;
    const settings = jobEnvironmentOf(await plannedPayload(payloads, host, jobId), keyword);
    if (!settings) return false;
    const now = clock();
    const job = { id: jobId, projectId: host.record.projectId };
    const environment = await environmentOfJob(store, job.projectId, settings, now);
    await recordJobDeployment(store, job, host.record, environment, settings, now, "created");
    await rememberEnvironment(store, jobId, environment, settings);
    return true;
  }
}
