/**
 * The server's side of the deploy system, assembled: the routes (resource sets and versions,
 * clusters, GitLab's deployments API with the log long poll, the environment actions), the
 * worker that applies queued deployments through the `Deployer` (when the server has one), and
 * the follower that keeps job deployments in step with their jobs.
 */
import type { Deployer } from "@conveyor/deploy";
import type { FastifyInstance } from "fastify";
import type { SecretBox } from "../secrets/secret-box.js";
import type { JobChange, Store } from "../store/types.js";
import { registerClustersApi } from "./clusters-api.js";
import { deployRoutes } from "./context.js";
import { registerDeploymentsApi } from "./deployments-api.js";
import { registerEnvironmentActionsApi } from "./environment-actions-api.js";
import { DeploymentFeed } from "./feed.js";
import { JobDeploymentFollower } from "./job-deployments.js";
import { registerResourceSetsApi } from "./resource-sets-api.js";
import { DeployWorker, failInterrupted } from "./worker.js";

export { recordJobDeployment, startJobDeployment } from "./job-deployments.js";
export { RESTART_MESSAGE } from "./worker.js";

export interface DeploySystemOptions {
  store: Store;
  clock: () => number;
  secrets: SecretBox;
  readonly serverUrl: string;
  /** The deploy engine; undefined: the routes that need it answer 503. */
  deployer?: Deployer;
  /** How long an apply waits for health before the deployment fails (ms). */
  applyTimeoutMs: number;
  /** Longest hold of a log long poll (ms). */
  logHoldMs?: number;
  log: (line: string, level?: "info" | "error") => void;
}

export interface DeploySystem {
  /** Job rows a pipeline step changed: their deployments follow them. */
  followJobs(changes: readonly JobChange[]): void;
  /** Resolves when what `followJobs` started for the job is written. */
  idle(jobId: number): Promise<void>;
  /**
   * Fails engine deployments a previous process left running, brings job deployments it left
   * behind their jobs up to them, then starts the queues.
   */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function registerDeploySystem(
  app: FastifyInstance,
  options: DeploySystemOptions,
): DeploySystem {
  const feed = new DeploymentFeed();
  const worker = options.deployer
    ? new DeployWorker({
        store: options.store,
        secrets: options.secrets,
        deployer: options.deployer,
        feed,
        clock: options.clock,
        applyTimeoutMs: options.applyTimeoutMs,
        log: options.log,
      })
    : undefined;
  const routes = deployRoutes({
    store: options.store,
    clock: options.clock,
    get serverUrl() {
      return options.serverUrl;
    },
    secrets: options.secrets,
    feed,
    kick: (environmentId) => worker?.kick(environmentId),
    ...(options.deployer ? { deployer: options.deployer } : {}),
    ...(options.logHoldMs !== undefined ? { logHoldMs: options.logHoldMs } : {}),
  });
  registerResourceSetsApi(app, routes);
  registerClustersApi(app, routes);
  registerDeploymentsApi(app, routes);
  registerEnvironmentActionsApi(app, routes);
  const follower = new JobDeploymentFollower(options.store, options.clock, feed, (error) =>
    options.log(
      `job deployment update failed: ${error instanceof Error ? error.message : String(error)}`,
      "error",
    ),
  );
  return {
    followJobs: (changes) => follower.follow(changes),
    idle: (jobId) => follower.idle(jobId),
    async start() {
      const failed = await failInterrupted(options.store, options.clock, feed);
      if (failed > 0)
        options.log(`${failed} deployment(s) were running when the server stopped: marked failed`);
      const caughtUp = await follower.recover();
      if (caughtUp > 0)
        options.log(`the deployments of ${caughtUp} job(s) caught up with their jobs' statuses`);
      await worker?.start();
    },
    async close() {
      await worker?.close();
    },
  };
}
