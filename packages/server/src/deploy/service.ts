/**
 * What a deploy, rollback or redeploy request does before the worker applies it: checks that
 * the environment can be deployed to (a cluster and namespace, not pinned to another version),
 * pins it for a rollback, cancels older waiting deployments when asked to supersede them, and
 * queues the deployment (taking over the calling job's own deployment record when the job
 * deploys to its environment). Answers a refusal with its HTTP status and a message that says
 * what to do.
 */
import {
  type DeploymentRecord,
  type DeploymentSource,
  ENGINE_SOURCES,
  type EnvironmentRecord,
  type ResourceSetVersionRecord,
  type Store,
} from "../store/types.js";
import type { DeployCaller } from "./caller.js";
import type { DeploymentFeed } from "./feed.js";

export interface QueueRequest {
  caller: DeployCaller;
  environment: EnvironmentRecord;
  version: ResourceSetVersionRecord;
  source: Extract<DeploymentSource, "deploy" | "rollback" | "redeploy">;
  /** Cancel the environment's engine deployments still waiting to start. */
  supersede: boolean;
}

export type QueueAnswer =
  { deployment: DeploymentRecord } | { refused: { status: 400 | 409; message: string } };

export interface QueueContext {
  store: Store;
  clock: () => number;
  feed: DeploymentFeed;
  /** The worker's kick: the environment has something queued. */
  kick: (environmentId: number) => void;
}

export async function queueDeployment(
  context: QueueContext,
  request: QueueRequest,
): Promise<QueueAnswer> {
  const { store, clock } = context;
  const { caller, environment, version } = request;
  if (environment.clusterId === undefined || !environment.namespace) {
    return {
      refused: {
        status: 400,
        message:
          `environment ${environment.name} has no cluster and namespace to deploy to; a ` +
          `Maintainer sets cluster_id and kubernetes_namespace with ` +
          `PUT /projects/${caller.project.id}/environments/${environment.id}`,
      },
    };
  }
  if (
    request.source === "deploy" &&
    environment.pinnedVersionId !== undefined &&
    environment.pinnedVersionId !== version.id
  ) {
    const pinned = await store.resourceSets.versionById(environment.pinnedVersionId);
    return {
      refused: {
        status: 409,
        message:
          `environment ${environment.name} is pinned to version ${pinned?.digest ?? "(deleted)"} ` +
          `by a rollback, so deploys of other versions are refused until a Maintainer unpins it ` +
          `(conveyor deploy unpin --environment ${environment.name}, or ` +
          `POST /projects/${caller.project.id}/environments/${environment.id}/unpin)`,
      },
    };
  }
  const now = clock();
  if (request.source === "rollback") {
    await store.environments.update(environment.id, { pinnedVersionId: version.id }, now);
  }
  if (request.supersede) await supersedeQueued(context, environment, caller);

  const taken = caller.job ? await takeOverJobRecord(context, request) : undefined;
  const deployment =
    taken ??
    (await store.deployments.create(
      {
        projectId: caller.project.id,
        environmentId: environment.id,
        status: "created",
        source: request.source,
        tag: caller.pipeline?.tag ?? false,
        versionId: version.id,
        ...(caller.pipeline
          ? { ref: caller.pipeline.ref, sha: caller.pipeline.sha, pipelineId: caller.pipeline.id }
          : {
              ...(version.ref !== undefined ? { ref: version.ref } : {}),
              ...(version.sha !== undefined ? { sha: version.sha } : {}),
            }),
        ...(caller.job ? { jobId: caller.job.id } : {}),
        ...(caller.user ? { userId: caller.user.id } : {}),
      },
      now,
    ));
  await store.deployments.appendLog(deployment.id, [
    `Queued ${request.source} of ${version.digest} to ${environment.name}` +
      `${caller.user ? ` by ${caller.user.username}` : ""}${caller.job ? ` (job ${caller.job.id})` : ""}`,
  ]);
  context.kick(environment.id);
  return { deployment };
}

/** The calling job's own deployment to this environment, now applied by the engine. */
async function takeOverJobRecord(
  context: QueueContext,
  request: QueueRequest,
): Promise<DeploymentRecord | undefined> {
  const { store, clock } = context;
  const own = (await store.deployments.ofJob(request.caller.job!.id)).find(
    (d) =>
      d.environmentId === request.environment.id &&
      d.source === "job" &&
      (d.status === "created" || d.status === "running"),
  );
  if (!own) return undefined;
  return store.deployments.update(
    own.id,
    {
      source: request.source,
      status: "created",
      versionId: request.version.id,
      startedAt: undefined,
    },
    clock(),
    ["created", "running"],
  );
}

/** Cancels the environment's engine deployments that wait to start (GitLab's `resource_group`). */
async function supersedeQueued(
  context: QueueContext,
  environment: EnvironmentRecord,
  caller: DeployCaller,
): Promise<void> {
  const { store, clock } = context;
  const waiting = await store.deployments.list(caller.project.id, {
    environmentId: environment.id,
    status: "created",
  });
  for (const older of waiting) {
    if (!ENGINE_SOURCES.includes(older.source)) continue;
    const message = `superseded by a newer deployment${caller.user ? ` of ${caller.user.username}` : ""}`;
    const now = clock();
    const canceled = await store.deployments.update(
      older.id,
      { status: "canceled", message, finishedAt: now },
      now,
      ["created"],
    );
    if (!canceled) continue;
    await store.deployments.appendLog(older.id, [`Canceled: ${message}`]);
    context.feed.notify(older.id);
  }
}
