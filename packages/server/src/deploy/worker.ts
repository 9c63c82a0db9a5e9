/**
 * The deploy worker: applies queued deployments, one at a time per environment and in the
 * order they were queued (GitLab's `resource_group` semantics, docs: ci/resource_groups). For
 * each it opens the cluster's credentials, hands the stored version, the environment's
 * namespace, the previous inventory and, when the
 * environment asks for it, impersonation of the requesting user to `Deployer.apply`. The
 * previous inventory is the newest one recorded: the last successful deployment's, or a later
 * failed or canceled apply's (the engine merges what it applied into the previous inventory
 * and prunes nothing then, so its objects are pruned by the next deployment). Every log
 * line is stored as it comes (credentials scrubbed), and the outcome, the per-object results
 * and the new inventory are recorded at the end.
 *
 * Restart: a deployment still `running` when the server starts was cut off mid-apply; it is
 * marked `failed` with a message saying so (not re-run: an apply that was half done may have
 * been replaced by a newer intent in the meantime, so a person decides; `redeploy` re-applies
 * the current version). Queued deployments then start as usual.
 */
import type { ApplyOutcome, Deployer, Impersonation } from "@conveyor/deploy";
import type { SecretBox } from "../secrets/secret-box.js";
import type { DeploymentRecord, Store } from "../store/types.js";
import { openCredentials, redact, secretsOf } from "./credentials.js";
import type { DeploymentFeed } from "./feed.js";

export interface DeployWorkerOptions {
  store: Store;
  secrets: SecretBox;
  deployer: Deployer;
  feed: DeploymentFeed;
  clock: () => number;
  /** How long an apply may wait for the objects to become healthy. */
  applyTimeoutMs: number;
  /** The server's own log (never given credentials). */
  log: (line: string, level?: "info" | "error") => void;
}

export const RESTART_MESSAGE =
  "The Conveyor server restarted while this deployment was running, so its outcome is unknown; " +
  "deploy again (or redeploy) to be sure the environment is in the wanted state";

/** At start: fails the engine deployments a previous server process left running. */
export async function failInterrupted(
  store: Store,
  clock: () => number,
  feed?: DeploymentFeed,
): Promise<number> {
  const interrupted = await store.deployments.running();
  for (const deployment of interrupted) {
    await store.deployments.appendLog(deployment.id, [RESTART_MESSAGE]);
    await store.deployments.update(
      deployment.id,
      { status: "failed", message: RESTART_MESSAGE, finishedAt: clock() },
      clock(),
      ["running"],
    );
    feed?.notify(deployment.id);
  }
  return interrupted.length;
}

/** Stores log lines in order, batching the lines that arrive while a write is in flight. */
class LogWriter {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly write: (lines: string[]) => Promise<void>,
    private readonly scrub: (line: string) => string,
  ) {}

  push(line: string): void {
    this.pending.push(this.scrub(line));
    if (this.pending.length === 1) {
      this.writing = this.writing.then(async () => {
        const lines = this.pending;
        this.pending = [];
        try {
          await this.write(lines);
        } catch (error) {
          this.failure ??= error;
        }
      });
    }
  }

  async flush(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure;
  }
}

export class DeployWorker {
  private readonly draining = new Map<number, Promise<void>>();
  private readonly again = new Set<number>();
  private readonly running = new Map<number, AbortController>();
  private closed = false;

  constructor(private readonly options: DeployWorkerOptions) {}

  /** At start (after failInterrupted): starts every environment's queue. */
  async start(): Promise<void> {
    for (const environmentId of await this.options.store.deployments.queuedEnvironments())
      this.kick(environmentId);
  }

  /** Something was queued for the environment: start it when the environment is free. */
  kick(environmentId: number): void {
    if (this.closed) return;
    if (this.draining.has(environmentId)) {
      this.again.add(environmentId);
      return;
    }
    const drain = this.drain(environmentId)
      .catch((error) => this.options.log(`deploy worker failed: ${describe(error)}`, "error"))
      .finally(() => {
        this.draining.delete(environmentId);
        if (this.again.delete(environmentId)) this.kick(environmentId);
      });
    this.draining.set(environmentId, drain);
  }

  /** Aborts running applies and waits for the queues to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.running.values()) controller.abort();
    await Promise.all([...this.draining.values()]);
  }

  private async drain(environmentId: number): Promise<void> {
    const { store, clock } = this.options;
    while (!this.closed) {
      const next = await store.deployments.startNext(environmentId, clock());
      if (!next) return;
      this.options.feed.notify(next.id);
      await this.run(next);
    }
  }

  private async run(deployment: DeploymentRecord): Promise<void> {
    const { store, clock, feed } = this.options;
    const controller = new AbortController();
    this.running.set(deployment.id, controller);
    let secrets: string[] = [];
    const writer = new LogWriter(
      async (lines) => {
        await store.deployments.appendLog(deployment.id, lines);
        feed.notify(deployment.id);
      },
      (line) => redact(line, secrets),
    );
    // No inventory when nothing was applied: the environment's current one stays in force.
    let outcome: Omit<ApplyOutcome, "inventory"> & { inventory?: ApplyOutcome["inventory"] };
    try {
      const prepared = await this.prepare(deployment);
      if ("error" in prepared) {
        outcome = { status: "failed", objects: [], message: prepared.error };
      } else {
        secrets = secretsOf(prepared.request.target.credentials);
        writer.push(prepared.banner);
        outcome = await this.options.deployer.apply({
          ...prepared.request,
          signal: controller.signal,
          log: (line) => writer.push(line),
        });
      }
    } catch (error) {
      outcome = {
        status: controller.signal.aborted ? "canceled" : "failed",
        objects: [],
        message: controller.signal.aborted
          ? "the Conveyor server stopped during the deployment"
          : `the deploy engine failed: ${describe(error)}`,
      };
    } finally {
      this.running.delete(deployment.id);
    }
    const message = outcome.message === undefined ? undefined : redact(outcome.message, secrets);
    writer.push(
      outcome.status === "success"
        ? "Deployment succeeded"
        : `Deployment ${outcome.status}${message ? `: ${message}` : ""}`,
    );
    try {
      await writer.flush();
    } catch (error) {
      this.options.log(
        `deployment ${deployment.id}: storing its log failed: ${describe(error)}`,
        "error",
      );
    }
    const now = clock();
    await store.deployments.update(
      deployment.id,
      {
        status: outcome.status,
        objects: outcome.objects,
        finishedAt: now,
        ...(outcome.inventory !== undefined ? { inventory: outcome.inventory } : {}),
        ...(message !== undefined ? { message } : {}),
      },
      now,
      ["running"],
    );
    if (outcome.status === "success") {
      await store.environments.update(
        deployment.environmentId,
        {
          state: "available",
          ...(deployment.jobId !== undefined ? { lastDeploymentJobId: deployment.jobId } : {}),
        },
        now,
      );
    }
    feed.notify(deployment.id);
    this.options.log(
      `deployment ${deployment.id} (environment ${deployment.environmentId}): ${outcome.status}`,
    );
  }

  /** Everything an apply needs, or why the deployment cannot run. */
  private async prepare(deployment: DeploymentRecord) {
    const { store, secrets } = this.options;
    const environment = await store.environments.byId(deployment.environmentId);
    if (!environment) return { error: "the environment was deleted" };
    const version =
      deployment.versionId !== undefined
        ? await store.resourceSets.versionById(deployment.versionId)
        : undefined;
    if (!version) return { error: "the resource set version was deleted" };
    const cluster =
      environment.clusterId !== undefined
        ? await store.clusters.byId(environment.clusterId)
        : undefined;
    if (!cluster || !environment.namespace)
      return { error: `environment ${environment.name} has no cluster and namespace` };
    let impersonate: Impersonation | undefined;
    if (environment.impersonate) {
      const user =
        deployment.userId !== undefined ? await store.users.byId(deployment.userId) : undefined;
      if (!user)
        return {
          error: `environment ${environment.name} applies as the requesting user, and this deployment has none`,
        };
      impersonate = { user: user.username, groups: [] };
    }
    let credentials;
    try {
      credentials = openCredentials(secrets, cluster);
    } catch (error) {
      return {
        error: `the credentials of cluster ${cluster.name} cannot be read: ${describe(error)}`,
      };
    }
    const previous = await store.deployments.lastInventory(environment.id);
    const set = await store.resourceSets.byId(version.resourceSetId);
    return {
      banner:
        `Deploying ${set?.name ?? "resource set"} ${version.digest} to ${environment.name} ` +
        `(cluster ${cluster.name}, namespace ${environment.namespace}` +
        `${impersonate ? `, as ${impersonate.user}` : ""})`,
      request: {
        target: {
          credentials,
          namespace: environment.namespace,
          ...(impersonate ? { impersonate } : {}),
        },
        version: version.rendered,
        previousInventory: previous?.inventory ?? [],
        timeoutMs: this.options.applyTimeoutMs,
      },
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
