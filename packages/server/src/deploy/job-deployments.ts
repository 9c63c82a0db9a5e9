/**
 * Deployments of CI jobs with `environment:` (docs: ci/environments,
 * https://docs.gitlab.com/ci/environments/): as in GitLab, a job that deploys (action `start`,
 * the default) makes a deployment record whether it deploys with its own scripts or through
 * Conveyor's engine, and the record's status follows the job (running while it runs, then
 * success, failed or canceled). Jobs with `action: prepare|verify|access|stop` make none.
 *
 * When such a job asks the engine to deploy to its own environment (`conveyor deploy apply`
 * with its job token), the engine takes the job's record over (see service.ts); from then on
 * the apply decides the status, and a job that ends while its deployment still waits in the
 * queue cancels it.
 */
import type { JobStatus } from "@conveyor/engine";
import {
  type DeploymentStatus,
  ENGINE_SOURCES,
  type EnvironmentRecord,
  type JobChange,
  type JobRecord,
  type PipelineRecord,
  type Store,
} from "../store/types.js";
import type { JobEnvironment } from "../dispatch/environments.js";
import { KeyedSerial } from "../util/serial.js";
import type { DeploymentFeed } from "./feed.js";

/**
 * The job's deployment record, when the job deploys (action `start`), with the job's `on_stop`
 * and `auto_stop_in`: GitLab keeps them with the deployment, and stopping the environment
 * later runs the `on_stop` jobs of its last deployments (docs: ci/environments, "Run a pipeline
 * job when environment is stopped").
 */
export async function recordJobDeployment(
  store: Store,
  job: JobRecord,
  pipeline: PipelineRecord,
  environment: EnvironmentRecord,
  settings: Pick<JobEnvironment, "action" | "onStop" | "autoStopIn">,
  now: number,
): Promise<void> {
  if (settings.action !== "start") return;
  if ((await store.deployments.ofJob(job.id)).some((d) => d.environmentId === environment.id))
    return;
  await store.deployments.create(
    {
      projectId: job.projectId,
      environmentId: environment.id,
      status: "running",
      source: "job",
      ref: pipeline.ref,
      sha: pipeline.sha,
      tag: pipeline.tag,
      jobId: job.id,
      pipelineId: pipeline.id,
      startedAt: now,
      ...(pipeline.userId !== undefined ? { userId: pipeline.userId } : {}),
      ...(settings.onStop !== undefined ? { onStop: settings.onStop } : {}),
      ...(settings.autoStopIn !== undefined ? { autoStopIn: settings.autoStopIn } : {}),
    },
    now,
  );
}

/** A finished job's status as its deployment's (GitLab has no `skipped` deployments here). */
const FINAL: Partial<Record<JobStatus, DeploymentStatus>> = {
  success: "success",
  failed: "failed",
  canceled: "canceled",
  skipped: "canceled",
};

/** Keeps job deployments' statuses in step with their jobs. */
export class JobDeploymentFollower {
  private readonly lanes = new KeyedSerial<number>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly feed: DeploymentFeed,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Job rows an engine event changed (called by the coordinator, in order per pipeline). */
  follow(changes: readonly JobChange[]): void {
    for (const change of changes) {
      const status = change.status && FINAL[change.status];
      if (!status) continue;
      this.lanes
        .run(change.id, () => this.finish(change.id, status))
        .catch((error) => this.onError(error));
    }
  }

  /** Resolves when what `follow` started is written (tests, shutdown). */
  async idle(jobId: number): Promise<void> {
    await this.lanes.run(jobId, async () => undefined);
  }

  private async finish(jobId: number, status: DeploymentStatus): Promise<void> {
    const now = this.clock();
    for (const deployment of await this.store.deployments.ofJob(jobId)) {
      if (deployment.source === "job") {
        await this.store.deployments.update(deployment.id, { status, finishedAt: now }, now, [
          "created",
          "running",
        ]);
      } else if (ENGINE_SOURCES.includes(deployment.source) && deployment.status === "created") {
        const message = `job ${jobId} ended (${status}) before the deployment started`;
        const canceled = await this.store.deployments.update(
          deployment.id,
          { status: "canceled", message, finishedAt: now },
          now,
          ["created"],
        );
        if (canceled) await this.store.deployments.appendLog(deployment.id, [message]);
      } else {
        continue;
      }
      this.feed.notify(deployment.id);
    }
  }
}
