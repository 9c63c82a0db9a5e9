/**
 * SQLite stores of the deploy system: clusters (credentials sealed before they get here),
 * resource sets with their immutable versions, and deployments with their logs. Writes that
 * read and change more than one row run in an IMMEDIATE transaction.
 */
import type { JobStatus } from "@conveyor/engine";
import { DEPLOYMENT_ORDER, deploymentAssignments } from "../changes.js";
import { translatingConflicts } from "../conflicts.js";
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
import type { Statements } from "./database.js";

const isEngine = (source: string) => (ENGINE_SOURCES as readonly string[]).includes(source);

export class SqliteClusters implements ClusterStore {
  constructor(private readonly sql: Statements) {}

  async create(cluster: NewCluster, now: number): Promise<ClusterRecord> {
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO clusters (project_id, name, credential_kind, credentials_ciphertext, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING *`,
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
    const row = this.sql.one("SELECT * FROM clusters WHERE id = ?", id);
    return row && clusterFrom(row);
  }

  async list(projectId?: number): Promise<ClusterRecord[]> {
    const rows =
      projectId === undefined
        ? this.sql.all("SELECT * FROM clusters WHERE project_id IS NULL ORDER BY id")
        : this.sql.all("SELECT * FROM clusters WHERE project_id = ? ORDER BY id", projectId);
    return rows.map(clusterFrom);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM clusters WHERE id = ?", id);
  }
}

export class SqliteResourceSets implements ResourceSetStore {
  constructor(private readonly sql: Statements) {}

  async create(set: NewResourceSet, now: number): Promise<ResourceSetRecord> {
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO resource_sets (project_id, name, description, created_at)
         VALUES (?, ?, ?, ?) RETURNING *`,
        set.projectId,
        set.name,
        set.description,
        now,
      ),
    );
    return resourceSetFrom(row!);
  }

  async ensure(set: NewResourceSet, now: number): Promise<ResourceSetRecord> {
    const ensure = this.sql.db.transaction(() => {
      this.sql.run(
        `INSERT INTO resource_sets (project_id, name, description, created_at)
         VALUES (?, ?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING`,
        set.projectId,
        set.name,
        set.description,
        now,
      );
      return this.sql.one(
        "SELECT * FROM resource_sets WHERE project_id = ? AND name = ?",
        set.projectId,
        set.name,
      )!;
    });
    return resourceSetFrom(ensure.immediate());
  }

  async byId(id: number): Promise<ResourceSetRecord | undefined> {
    const row = this.sql.one("SELECT * FROM resource_sets WHERE id = ?", id);
    return row && resourceSetFrom(row);
  }

  async byName(projectId: number, name: string): Promise<ResourceSetRecord | undefined> {
    const row = this.sql.one(
      "SELECT * FROM resource_sets WHERE project_id = ? AND name = ?",
      projectId,
      name,
    );
    return row && resourceSetFrom(row);
  }

  async ofProject(projectId: number): Promise<ResourceSetRecord[]> {
    return this.sql
      .all("SELECT * FROM resource_sets WHERE project_id = ? ORDER BY id", projectId)
      .map(resourceSetFrom);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM resource_sets WHERE id = ?", id);
  }

  async addVersion(
    version: NewResourceSetVersion,
    now: number,
  ): Promise<{ version: ResourceSetVersionRecord; created: boolean }> {
    const add = this.sql.db.transaction(() => {
      const inserted = this.sql.run(
        `INSERT INTO resource_set_versions (resource_set_id, project_id, digest, rendered,
           user_id, job_id, pipeline_id, ref, sha, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (resource_set_id, digest) DO NOTHING`,
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
      const row = this.sql.one(
        "SELECT * FROM resource_set_versions WHERE resource_set_id = ? AND digest = ?",
        version.resourceSetId,
        version.rendered.digest,
      )!;
      return { row, created: inserted.changes === 1 };
    });
    const { row, created } = add.immediate();
    return { version: resourceSetVersionFrom(row), created };
  }

  async versionById(id: number): Promise<ResourceSetVersionRecord | undefined> {
    const row = this.sql.one("SELECT * FROM resource_set_versions WHERE id = ?", id);
    return row && resourceSetVersionFrom(row);
  }

  async version(
    resourceSetId: number,
    digest: string,
  ): Promise<ResourceSetVersionRecord | undefined> {
    const row = this.sql.one(
      "SELECT * FROM resource_set_versions WHERE resource_set_id = ? AND digest = ?",
      resourceSetId,
      digest,
    );
    return row && resourceSetVersionFrom(row);
  }

  async versions(
    resourceSetId: number,
    window: { limit?: number; offset?: number } = {},
  ): Promise<ResourceSetVersionRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM resource_set_versions WHERE resource_set_id = ?
         ORDER BY id DESC LIMIT ? OFFSET ?`,
        resourceSetId,
        window.limit ?? -1,
        window.offset ?? 0,
      )
      .map(resourceSetVersionFrom);
  }
}

/** A deployment `d` (created or running) its job `j` moved past (see DeploymentStore.behindJobs). */
const BEHIND = `(
    (j.status IN ('success', 'failed', 'canceled', 'skipped')
      AND NOT (d.engine = 1 AND d.status = 'running'))
    OR (d.source = 'job' AND d.status = 'created' AND j.status IN ('running', 'canceling'))
  )`;

export class SqliteDeployments implements DeploymentStore {
  constructor(private readonly sql: Statements) {}

  async create(deployment: NewDeployment, now: number): Promise<DeploymentRecord> {
    const create = this.sql.db.transaction(() => {
      const counter = this.sql.one(
        `UPDATE projects SET last_deployment_iid = last_deployment_iid + 1 WHERE id = ?
         RETURNING last_deployment_iid`,
        deployment.projectId,
      );
      if (!counter) throw new Error(`project ${deployment.projectId} does not exist`);
      return this.sql.one(
        `INSERT INTO deployments (${DEPLOYMENT_INSERT_COLUMNS.join(", ")})
         VALUES (${DEPLOYMENT_INSERT_COLUMNS.map(() => "?").join(", ")}) RETURNING *`,
        ...deploymentValues(
          deployment,
          Number(counter.last_deployment_iid),
          isEngine(deployment.source),
          now,
        ),
      )!;
    });
    return deploymentFrom(translatingConflicts(() => create.immediate()));
  }

  async byId(id: number): Promise<DeploymentRecord | undefined> {
    const row = this.sql.one("SELECT * FROM deployments WHERE id = ?", id);
    return row && deploymentFrom(row);
  }

  async ofJob(jobId: number): Promise<DeploymentRecord[]> {
    return this.sql
      .all("SELECT * FROM deployments WHERE job_id = ? ORDER BY id", jobId)
      .map(deploymentFrom);
  }

  async list(projectId: number, filter: DeploymentFilter = {}): Promise<DeploymentRecord[]> {
    const where = ["project_id = ?"];
    const values: unknown[] = [projectId];
    if (filter.environmentId !== undefined) {
      where.push("environment_id = ?");
      values.push(filter.environmentId);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      values.push(filter.status);
    }
    const column = DEPLOYMENT_ORDER[filter.orderBy ?? "id"] ?? "id";
    const direction = filter.sort === "desc" ? "DESC" : "ASC";
    return this.sql
      .all(
        `SELECT * FROM deployments WHERE ${where.join(" AND ")}
         ORDER BY ${column} ${direction}, id ${direction} LIMIT ? OFFSET ?`,
        ...values,
        filter.limit ?? -1,
        filter.offset ?? 0,
      )
      .map(deploymentFrom);
  }

  async update(
    id: number,
    change: DeploymentChange,
    now: number,
    from?: readonly DeploymentStatus[],
  ): Promise<DeploymentRecord | undefined> {
    const set = deploymentAssignments(change, isEngine);
    const guard = from ? ` AND status IN (${from.map(() => "?").join(", ") || "NULL"})` : "";
    const row = this.sql.one(
      `UPDATE deployments SET ${[...set.map((a) => `${a.column} = ?`), "updated_at = ?"].join(", ")}
       WHERE id = ?${guard} RETURNING *`,
      ...set.map((a) => a.value),
      now,
      id,
      ...(from ?? []),
    );
    return row && deploymentFrom(row);
  }

  async startNext(environmentId: number, now: number): Promise<DeploymentRecord | undefined> {
    const start = this.sql.db.transaction(() => {
      const busy = this.sql.one(
        `SELECT id FROM deployments
         WHERE environment_id = ? AND engine = 1 AND status = 'running' LIMIT 1`,
        environmentId,
      );
      if (busy) return undefined;
      return this.sql.one(
        `UPDATE deployments SET status = 'running', started_at = ?, updated_at = ?
         WHERE id = (SELECT id FROM deployments
                     WHERE environment_id = ? AND engine = 1 AND status = 'created'
                     ORDER BY id LIMIT 1)
         RETURNING *`,
        now,
        now,
        environmentId,
      );
    });
    const row = start.immediate();
    return row && deploymentFrom(row);
  }

  async queuedEnvironments(): Promise<number[]> {
    return this.sql
      .all(
        `SELECT DISTINCT environment_id FROM deployments
         WHERE engine = 1 AND status = 'created' ORDER BY environment_id`,
      )
      .map((row) => Number(row.environment_id));
  }

  async running(): Promise<DeploymentRecord[]> {
    return this.sql
      .all("SELECT * FROM deployments WHERE engine = 1 AND status = 'running' ORDER BY id")
      .map(deploymentFrom);
  }

  async behindJobs(limit = 1000): Promise<DeploymentBehindJob[]> {
    return this.sql
      .all(
        `SELECT d.*, j.status AS job_status FROM deployments d JOIN jobs j ON j.id = d.job_id
         WHERE d.job_id IS NOT NULL AND d.status IN ('created', 'running') AND ${BEHIND}
         ORDER BY d.id LIMIT ?`,
        limit,
      )
      .map((row) => ({
        deployment: deploymentFrom(row),
        jobStatus: String(row.job_status) as JobStatus,
      }));
  }

  async lastSuccessful(
    environmentId: number,
    engineOnly = false,
  ): Promise<DeploymentRecord | undefined> {
    const row = this.sql.one(
      `SELECT * FROM deployments WHERE environment_id = ? AND status = 'success'
         ${engineOnly ? "AND engine = 1" : ""}
       ORDER BY finished_at DESC, id DESC LIMIT 1`,
      environmentId,
    );
    return row && deploymentFrom(row);
  }

  async lastInventory(environmentId: number): Promise<DeploymentRecord | undefined> {
    const row = this.sql.one(
      `SELECT * FROM deployments WHERE environment_id = ? AND engine = 1
         AND status IN ('success', 'failed', 'canceled') AND inventory IS NOT NULL
       ORDER BY finished_at DESC, id DESC LIMIT 1`,
      environmentId,
    );
    return row && deploymentFrom(row);
  }

  async appendLog(deploymentId: number, lines: readonly string[]): Promise<number> {
    const append = this.sql.db.transaction(() => {
      const { size } = this.sql.one(
        "SELECT count(*) AS size FROM deployment_log WHERE deployment_id = ?",
        deploymentId,
      )!;
      let seq = Number(size);
      for (const line of lines) {
        this.sql.run(
          "INSERT INTO deployment_log (deployment_id, seq, line) VALUES (?, ?, ?)",
          deploymentId,
          seq++,
          line,
        );
      }
      return seq;
    });
    return append.immediate();
  }

  async log(deploymentId: number, from = 0, limit?: number): Promise<string[]> {
    return this.sql
      .all(
        `SELECT line FROM deployment_log WHERE deployment_id = ? AND seq >= ?
         ORDER BY seq LIMIT ?`,
        deploymentId,
        from,
        limit ?? -1,
      )
      .map((row) => String(row.line));
  }
}
