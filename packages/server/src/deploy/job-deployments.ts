/**
 * Deployments of CI jobs with `environment:` (docs: ci/environments,
 * https://docs.gitlab.com/ci/environments/): as in GitLab, a job that deploys (action `start`,
 * the default) has a deployment record whether it deploys with its own scripts or through
 * Conveyor's engine, made with the job's pipeline (`created`), and the record's status follows
 * the job (running while it runs, then success, failed or canceled; skipped for a job that never
 * ran). A manual job nobody plays leaves it `created`: GitLab's `blocked` is for deployments
 * waiting for approvals (docs: ci/environments/deployment_approvals), which Conveyor does not
 * have. Jobs with `action: prepare|verify|access|stop` make none.
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

/** The job's deployment settings: GitLab keeps `on_stop` and `auto_stop_in` with the deployment. */
type DeploySettings = Pick<JobEnvironment, "action" | "onStop" | "autoStopIn">;

/**
 * The job's deployment record, when the job deploys (action `start`), with the job's `on_stop`
 * and `auto_stop_in`: GitLab keeps them with the deployment, and stopping the environment
 * later runs the `on_stop` jobs of its last deployments (docs: ci/environments, "Run a pipeline
 * job when environment is stopped"). `created` as the pipeline creates the job (GitLab makes a
 * job's deployment with its pipeline: Deployments::CreateForJobService), `running` when made for
 * a job that already runs. Nothing when the job has one in that environment already.
 */
export async function recordJobDeployment(
  store: Store,
  job: Pick<JobRecord, "id" | "projectId">,
  pipeline: PipelineRecord,
  environment: EnvironmentRecord,
  settings: DeploySettings,
  now: number,
  status: Extract<DeploymentStatus, "created" | "running"> = "running",
): Promise<void> {
  if (settings.action !== "start") return;
  if ((await store.deployments.ofJob(job.id)).some((d) => d.environmentId === environment.id))
    return;
  await store.deployments.create(
    {
      projectId: job.projectId,
      environmentId: environment.id,
      status,
      source: "job",
      ref: pipeline.ref,
      sha: pipeline.sha,
      tag: pipeline.tag,
      jobId: job.id,
      pipelineId: pipeline.id,
      ...(status === "running" ? { startedAt: now } : {}),
      ...(pipeline.userId !== undefined ? { userId: pipeline.userId } : {}),
      ...(settings.onStop !== undefined ? { onStop: settings.onStop } : {}),
      ...(settings.autoStopIn !== undefined ? { autoStopIn: settings.autoStopIn } : {}),
    },
    now,
  );
}

/**
 * A runner took the job: the deployment its pipeline made runs. When the job's variables name
 * another environment than they did then (a name built from variables only a running job has),
 * the deployment is made in that one and the first is canceled; a job without one (its pipeline
 * is older than this behaviour) gets one now.
 */
export async function startJobDeployment(
  store: Store,
  job: Pick<JobRecord, "id" | "projectId">,
  pipeline: PipelineRecord,
  environment: EnvironmentRecord,
  settings: DeploySettings,
  now: number,
): Promise<void> {
  if (settings.action !== "start") return;
  for (const deployment of await store.deployments.ofJob(job.id)) {
    if (deployment.source !== "job" || deployment.status !== "created") continue;
    await store.deployments.update(
      deployment.id,
      deployment.environmentId === environment.id
        ? { status: "running", startedAt: now }
        : {
            status: "canceled",
            message: `the job deploys to ${environment.name}, named by its variables when it started`,
            finishedAt: now,
          },
      now,
      ["created"],
    );
  }
  await recordJobDeployment(store, job, pipeline, environment, settings, now, "running");
}

/**
 * A finished job's status as its deployment's: GitLab's deployment of a skipped job is
 * `skipped`, of a job canceled before it ran `canceled` (docs: api/deployments, "status").
 */
const ENDED: Partial<Record<JobStatus, DeploymentStatus>> = {
  success: "success",
  failed: "failed",
  canceled: "canceled",
  skipped: "skipped",
};

/** How many deployments behind their jobs `recover` reads at a time. */
const RECOVERY_BATCH = 500;

/** Job statuses of a job a runner holds. */
const HELD: ReadonlySet<JobStatus> = new Set(["running", "canceling"]);

/**
 * Keeps job deployments' statuses in step with their jobs. Every update reads the job as stored
 * and changes only a deployment still behind it, so doing it twice changes nothing: what a
 * server stopped between a job's change and its deployment's left undone is done by `recover`
 * when it starts again.
 */
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
      if (!change.status || !ENDED[change.status]) continue;
      this.lanes
        .run(change.id, () => this.catchUp(change.id))
        .catch((error) => this.onError(error));
    }
  }

  /** Resolves when what `follow` started is written (tests, shutdown). */
  async idle(jobId: number): Promise<void> {
    await this.lanes.run(jobId, async () => undefined);
  }

  /**
   * At start: brings the deployments a stopped server left behind their jobs up to them;
   * answers for how many jobs.
   */
  async recover(): Promise<number> {
    const done = new Set<number>();
    // Batches until none is left; a job whose deployments could not be brought up is not
    // tried again.
    for (;;) {
      const jobIds = new Set<number>();
      for (const { deployment } of await this.store.deployments.behindJobs(
        RECOVERY_BATCH + done.size,
      )) {
        if (deployment.jobId !== undefined && !done.has(deployment.jobId))
          jobIds.add(deployment.jobId);
      }
      for (const jobId of jobIds) {
        done.add(jobId);
        await this.lanes.run(jobId, () => this.catchUp(jobId)).catch(this.onError);
      }
      if (jobIds.size === 0) return done.size;
    }
  }

  private async catchUp(jobId: number): Promise<void> {
    const job = await this.store.jobs.byId(jobId);
    if (!job) return;
    const ended = ENDED[job.status];
    if (ended) await this.finish(job, ended);
    else if (HELD.has(job.status)) await this.start(job);
  }

  /** A job a runner holds whose deployment was left `created`. */
  private async start(job: JobRecord): Promise<void> {
    const now = this.clock();
    for (const deployment of await this.store.deployments.ofJob(job.id)) {
      if (deployment.source !== "job" || deployment.status !== "created") continue;
      const started = await this.store.deployments.update(
        deployment.id,
        { status: "running", startedAt: job.startedAt ?? now },
        now,
        ["created"],
      );
      if (started) this.feed.notify(deployment.id);
    }
  }

  private async finish(job: JobRecord, status: DeploymentStatus): Promise<void> {
    const now = this.clock();
    const finishedAt = job.finishedAt ?? now;
    for (const deployment of await this.store.deployments.ofJob(job.id)) {
      let changed;
      if (deployment.source === "job") {
        changed = await this.store.deployments.update(deployment.id, { status, finishedAt }, now, [
          "created",
          "running",
        ]);
      } else if (ENGINE_SOURCES.includes(deployment.source) && deployment.status === "created") {
        const message = `job ${job.id} ended (${status}) before the deployment started`;
        changed = await this.store.deployments.update(
          deployment.id,
          { status: "canceled", message, finishedAt },
          now,
          ["created"],
        );
        if (changed) await this.store.deployments.appendLog(deployment.id, [message]);
      }
      if (changed) this.feed.notify(deployment.id);
    }
  }
}
