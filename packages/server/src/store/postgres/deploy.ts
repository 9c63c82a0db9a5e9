/**
 * PostgreSQL stores of the deploy system: clusters (credentials sealed before they get here),
 * resource sets with their immutable versions, and deployments with their logs. Starting an
 * environment's next deployment and appending to a log lock a row first
 * (https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-ROWS), so server processes
 * sharing the database take turns.
 */
import type { JobStatus } from "@conveyor/engine";
import type pg from "pg";
import { DEPLOYMENT_ORDER, deploymentAssignments } from "../changes.js";
import { translatingConflictsAsync } from "../conflicts.js";
import {
  clusterFrom,
  DEPLOYMENT_INSERT_COLUMNS,
  deploymentFrom,
  deploymentValues,
  orNull,
  resourceSetFrom,
  resourceSetVersionFrom,
} from "../rows.js";
import {
  type ClusterRecord,
  type ClusterStore,
  type DeploymentBehindJob,
  type DeploymentChange,
  type DeploymentFilter,
  type DeploymentRecord,
  type DeploymentStatus,
  type DeploymentStore,
  ENGINE_SOURCES,
  type NewCluster,
  type NewDeployment,
  type NewResourceSet,
  type NewResourceSetVersion,
  type ResourceSetRecord,
  type ResourceSetStore,
  type ResourceSetVersionRecord,
} from "../types.js";
import { exec, one, rows, transaction } from "./pool.js";

const isEngine = (source: string) => (ENGINE_SOURCES as readonly string[]).includes(source);

export class PgClusters implements ClusterStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(cluster: NewCluster, now: number): Promise<ClusterRecord> {
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO clusters (project_id, name, credential_kind, credentials_ciphertext, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        orNull(cluster.projectId),
        cluster.name,
        cluster.credentialKind,
        cluster.credentialsCiphertext,
        now,
      ),
    );
    return clusterFrom(row!);
  }

  async byId(id: number): Promise<ClusterRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM clusters WHERE id = $1", id);
    return row && clusterFrom(row);
  }

  async list(projectId?: number): Promise<ClusterRecord[]> {
    const found =
      projectId === undefined
        ? await rows(this.pool, "SELECT * FROM clusters WHERE project_id IS NULL ORDER BY id")
        : await rows(
            this.pool,
            "SELECT * FROM clusters WHERE project_id = $1 ORDER BY id",
            projectId,
          );
    return found.map(clusterFrom);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM clusters WHERE id = $1", id);
  }
}

export class PgResourceSets implements ResourceSetStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(set: NewResourceSet, now: number): Promise<ResourceSetRecord> {
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO resource_sets (project_id, name, description, created_at)
         VALUES ($1, $2, $3, $4) RETURNING *`,
        set.projectId,
        set.name,
        set.description,
        now,
      ),
    );
    return resourceSetFrom(row!);
  }

  async ensure(set: NewResourceSet, now: number): Promise<ResourceSetRecord> {
    const created = await one(
      this.pool,
      `INSERT INTO resource_sets (project_id, name, description, created_at)
       VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, name) DO NOTHING RETURNING *`,
      set.projectId,
      set.name,
      set.description,
      now,
    );
    const row = created ?? (await this.byNameRow(set.projectId, set.name));
    if (!row) throw new Error(`resource set ${set.name} vanished while ensured`);
    return resourceSetFrom(row);
  }

  async byId(id: number): Promise<ResourceSetRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM resource_sets WHERE id = $1", id);
    return row && resourceSetFrom(row);
  }

  async byName(projectId: number, name: string): Promise<ResourceSetRecord | undefined> {
    const row = await this.byNameRow(projectId, name);
    return row && resourceSetFrom(row);
  }

  private byNameRow(projectId: number, name: string) {
    return one(
      this.pool,
      "SELECT * FROM resource_sets WHERE project_id = $1 AND name = $2",
      projectId,
      name,
    );
  }

  async ofProject(projectId: number): Promise<ResourceSetRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM resource_sets WHERE project_id = $1 ORDER BY id",
      projectId,
    );
    return found.map(resourceSetFrom);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM resource_sets WHERE id = $1", id);
  }

  async addVersion(
    version: NewResourceSetVersion,
    now: number,
  ): Promise<{ version: ResourceSetVersionRecord; created: boolean }> {
    const inserted = await one(
      this.pool,
      `INSERT INTO resource_set_versions (resource_set_id, project_id, digest, rendered,
         user_id, job_id, pipeline_id, ref, sha, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (resource_set_id, digest) DO NOTHING RETURNING *`,
      version.resourceSetId,
      version.projectId,
      version.rendered.digest,
      JSON.stringify(version.rendered),
      orNull(version.userId),
      orNull(version.jobId),
      orNull(version.pipelineId),
      orNull(version.ref),
      orNull(version.sha),
      now,
    );
    if (inserted) return { version: resourceSetVersionFrom(inserted), created: true };
    const existing = await this.version(version.resourceSetId, version.rendered.digest);
    if (!existing) throw new Error("a resource set version vanished while added");
    return { version: existing, created: false };
  }

  async versionById(id: number): Promise<ResourceSetVersionRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM resource_set_versions WHERE id = $1", id);
    return row && resourceSetVersionFrom(row);
  }

  async version(
    resourceSetId: number,
    digest: string,
  ): Promise<ResourceSetVersionRecord | undefined> {
    const row = await one(
      this.pool,
      "SELECT * FROM resource_set_versions WHERE resource_set_id = $1 AND digest = $2",
      resourceSetId,
      digest,
    );
    return row && resourceSetVersionFrom(row);
  }

  async versions(
    resourceSetId: number,
    window: { limit?: number; offset?: number } = {},
  ): Promise<ResourceSetVersionRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT * FROM resource_set_versions WHERE resource_set_id = $1
       ORDER BY id DESC LIMIT $2 OFFSET $3`,
      resourceSetId,
      window.limit ?? null,
      window.offset ?? 0,
    );
    return found.map(resourceSetVersionFrom);
  }
}

/** A deployment `d` (created or running) its job `j` moved past (see DeploymentStore.behindJobs). */
const BEHIND = `(
    (j.status IN ('success', 'failed', 'canceled', 'skipped')
      AND NOT (d.engine AND d.status = 'running'))
    OR (d.source = 'job' AND d.status = 'created' AND j.status IN ('running', 'canceling'))
  )`;

export class PgDeployments implements DeploymentStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(deployment: NewDeployment, now: number): Promise<DeploymentRecord> {
    const row = await translatingConflictsAsync(() =>
      transaction(this.pool, async (client) => {
        const counter = await one(
          client,
          `UPDATE projects SET last_deployment_iid = last_deployment_iid + 1 WHERE id = $1
           RETURNING last_deployment_iid`,
          deployment.projectId,
        );
        if (!counter) throw new Error(`project ${deployment.projectId} does not exist`);
        return one(
          client,
          `INSERT INTO deployments (${DEPLOYMENT_INSERT_COLUMNS.join(", ")})
           VALUES (${DEPLOYMENT_INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})
           RETURNING *`,
          ...deploymentValues(
            deployment,
            Number(counter.last_deployment_iid),
            isEngine(deployment.source),
            now,
          ),
        );
      }),
    );
    return deploymentFrom(row!);
  }

  async byId(id: number): Promise<DeploymentRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM deployments WHERE id = $1", id);
    return row && deploymentFrom(row);
  }

  async ofJob(jobId: number): Promise<DeploymentRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM deployments WHERE job_id = $1 ORDER BY id",
      jobId,
    );
    return found.map(deploymentFrom);
  }

  async list(projectId: number, filter: DeploymentFilter = {}): Promise<DeploymentRecord[]> {
    const where = ["project_id = $1"];
    const values: unknown[] = [projectId];
    if (filter.environmentId !== undefined) {
      values.push(filter.environmentId);
      where.push(`environment_id = $${values.length}`);
    }
    if (filter.status !== undefined) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    const column = DEPLOYMENT_ORDER[filter.orderBy ?? "id"] ?? "id";
    const direction = filter.sort === "desc" ? "DESC" : "ASC";
    const found = await rows(
      this.pool,
      `SELECT * FROM deployments WHERE ${where.join(" AND ")}
       ORDER BY ${column} ${direction}, id ${direction}
       LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      ...values,
      filter.limit ?? null,
      filter.offset ?? 0,
    );
    return found.map(deploymentFrom);
  }

  async update(
    id: number,
    change: DeploymentChange,
    now: number,
    from?: readonly DeploymentStatus[],
  ): Promise<DeploymentRecord | undefined> {
    const set = deploymentAssignments(change, isEngine);
    const values: unknown[] = [id, now, ...set.map((a) => a.value)];
    const assigned = set.map((a, i) => `${a.column} = $${i + 3}`);
    let guard = "";
    if (from) {
      values.push([...from]);
      guard = ` AND status = ANY($${values.length}::text[])`;
    }
    const row = await one(
      this.pool,
      `UPDATE deployments SET ${[...assigned, "updated_at = $2"].join(", ")}
       WHERE id = $1${guard} RETURNING *`,
      ...values,
    );
    return row && deploymentFrom(row);
  }

  async startNext(environmentId: number, now: number): Promise<DeploymentRecord | undefined> {
    const row = await transaction(this.pool, async (client) => {
      // The environment's row is the lock: one process at a time decides what runs there.
      await one(client, "SELECT id FROM environments WHERE id = $1 FOR UPDATE", environmentId);
      const busy = await one(
        client,
        `SELECT id FROM deployments
         WHERE environment_id = $1 AND engine AND status = 'running' LIMIT 1`,
        environmentId,
      );
      if (busy) return undefined;
      return one(
        client,
        `UPDATE deployments SET status = 'running', started_at = $2, updated_at = $2
         WHERE id = (SELECT id FROM deployments
                     WHERE environment_id = $1 AND engine AND status = 'created'
                     ORDER BY id LIMIT 1)
         RETURNING *`,
        environmentId,
        now,
      );
    });
    return row && deploymentFrom(row);
  }

  async queuedEnvironments(): Promise<number[]> {
    const found = await rows(
      this.pool,
      `SELECT DISTINCT environment_id FROM deployments
       WHERE engine AND status = 'created' ORDER BY environment_id`,
    );
    return found.map((row) => Number(row.environment_id));
  }

  async running(): Promise<DeploymentRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM deployments WHERE engine AND status = 'running' ORDER BY id",
    );
    return found.map(deploymentFrom);
  }

  async behindJobs(limit = 1000): Promise<DeploymentBehindJob[]> {
    const found = await rows(
      this.pool,
      `SELECT d.*, j.status AS job_status FROM deployments d JOIN jobs j ON j.id = d.job_id
       WHERE d.job_id IS NOT NULL AND d.status IN ('created', 'running') AND ${BEHIND}
       ORDER BY d.id LIMIT $1`,
      limit,
    );
    return found.map((row) => ({
      deployment: deploymentFrom(row),
      jobStatus: String(row.job_status) as JobStatus,
    }));
  }

  async lastSuccessful(
    environmentId: number,
    engineOnly = false,
  ): Promise<DeploymentRecord | undefined> {
    const row = await one(
      this.pool,
      `SELECT * FROM deployments WHERE environment_id = $1 AND status = 'success'
         AND (engine OR NOT $2)
       ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`,
      environmentId,
      engineOnly,
    );
    return row && deploymentFrom(row);
  }

  async lastInventory(environmentId: number): Promise<DeploymentRecord | undefined> {
    const row = await one(
      this.pool,
      `SELECT * FROM deployments WHERE environment_id = $1 AND engine
         AND status IN ('success', 'failed', 'canceled') AND inventory IS NOT NULL
       ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`,
      environmentId,
    );
    return row && deploymentFrom(row);
  }

  async appendLog(deploymentId: number, lines: readonly string[]): Promise<number> {
    return transaction(this.pool, async (client) => {
      // The deployment's row serialises appenders, so sequence numbers never collide.
      await one(client, "SELECT id FROM deployments WHERE id = $1 FOR UPDATE", deploymentId);
      const counted = await one(
        client,
        "SELECT count(*)::bigint AS size FROM deployment_log WHERE deployment_id = $1",
        deploymentId,
      );
      let seq = Number(counted?.size ?? 0);
      for (const line of lines) {
        await exec(
          client,
          "INSERT INTO deployment_log (deployment_id, seq, line) VALUES ($1, $2, $3)",
          deploymentId,
          seq++,
          line,
        );
      }
      return seq;
    });
  }

  async log(deploymentId: number, from = 0, limit?: number): Promise<string[]> {
    const found = await rows(
      this.pool,
      `SELECT line FROM deployment_log WHERE deployment_id = $1 AND seq >= $2
       ORDER BY seq LIMIT $3`,
      deploymentId,
      from,
      limit ?? null,
    );
    return found.map((row) => String(row.line));
  }
}
