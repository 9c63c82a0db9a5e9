/**
 * SQLite stores of pipeline execution: pipelines with their event log, job attempts, job
 * traces and artifact records. These sit on the dispatch path (a runner's request reads the
 * queue and records a claim; every trace patch appends), so each call is a few prepared
 * statements in one IMMEDIATE transaction, and every query reads through an index.
 */
import type { EngineEvent, JobStatus, PipelineStatus } from "@conveyor/engine";
import { assignments, JOB_COLUMNS } from "../changes.js";
import { conflictFrom, translatingConflicts } from "../conflicts.js";
import {
  artifactFrom,
  eventFrom,
  JOB_INSERT_COLUMNS,
  jobFrom,
  jobValues,
  orNull,
  pipelineFrom,
  sliceChunks,
} from "../rows.js";
import {
  type ArtifactRecord,
  type ArtifactStore,
  type JobRecord,
  type JobStore,
  type NewArtifact,
  type NewPipeline,
  type PipelineRecord,
  type PipelineStep,
  type PipelineStore,
  StoreConflict,
  type TraceAppend,
  type TraceStore,
} from "../types.js";
import type { Statements } from "./database.js";

const INSERT_JOB = `INSERT INTO jobs (${JOB_INSERT_COLUMNS.join(", ")})
  VALUES (${JOB_INSERT_COLUMNS.map(() => "?").join(", ")})`;

export class SqlitePipelines implements PipelineStore {
  constructor(private readonly sql: Statements) {}

  async create(pipeline: NewPipeline, now: number): Promise<PipelineRecord> {
    const create = this.sql.db.transaction(() => {
      const counter = this.sql.one(
        `UPDATE projects SET last_pipeline_iid = last_pipeline_iid + 1 WHERE id = ?
         RETURNING last_pipeline_iid`,
        pipeline.projectId,
      );
      if (!counter) throw new Error(`project ${pipeline.projectId} does not exist`);
      const iid = Number(counter.last_pipeline_iid);
      const { id } = this.sql.one(
        `INSERT INTO pipelines (project_id, iid, ref, tag, sha, before_sha, source, status,
           user_id, event, plan, created_at, updated_at, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?) RETURNING id`,
        pipeline.projectId,
        iid,
        pipeline.ref,
        pipeline.tag,
        pipeline.sha,
        pipeline.beforeSha,
        pipeline.source,
        pipeline.status,
        orNull(pipeline.userId),
        JSON.stringify(pipeline.plan),
        pipeline.createdAt,
        now,
        orNull(pipeline.startedAt),
        orNull(pipeline.finishedAt),
      )!;
      const event = { ...pipeline.event, pipelineId: Number(id), pipelineIid: iid };
      const row = this.sql.one(
        "UPDATE pipelines SET event = ? WHERE id = ? RETURNING *",
        JSON.stringify(event),
        id,
      )!;
      return pipelineFrom(row);
    });
    return translatingConflicts(() => create.immediate());
  }

  async byId(id: number): Promise<PipelineRecord | undefined> {
    const row = this.sql.one("SELECT * FROM pipelines WHERE id = ?", id);
    return row && pipelineFrom(row);
  }

  async list(
    projectId: number,
    filter: { ref?: string; status?: PipelineStatus; limit?: number; offset?: number } = {},
  ): Promise<PipelineRecord[]> {
    const where = ["project_id = ?"];
    const values: unknown[] = [projectId];
    if (filter.ref !== undefined) {
      where.push("ref = ?");
      values.push(filter.ref);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      values.push(filter.status);
    }
    return this.sql
      .all(
        `SELECT * FROM pipelines WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ? OFFSET ?`,
        ...values,
        filter.limit ?? -1,
        filter.offset ?? 0,
      )
      .map(pipelineFrom);
  }

  async active(): Promise<PipelineRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM pipelines
         WHERE status NOT IN ('success', 'failed', 'canceled', 'skipped') ORDER BY id`,
      )
      .map(pipelineFrom);
  }

  async events(pipelineId: number): Promise<EngineEvent[]> {
    return this.sql
      .all("SELECT event FROM pipeline_events WHERE pipeline_id = ? ORDER BY seq", pipelineId)
      .map(eventFrom);
  }

  async recordStep(step: PipelineStep): Promise<boolean> {
    const record = this.sql.db.transaction((): boolean => {
      const at = step.pipeline.updatedAt;
      if (step.claim) {
        const claimed = this.sql.run(
          `UPDATE jobs SET runner_id = ?, token_digest = ?, cancel_gracefully = ?, updated_at = ?
           WHERE id = ? AND pipeline_id = ? AND status = 'pending' AND runner_id IS NULL`,
          step.claim.runnerId,
          step.claim.tokenDigest,
          step.claim.cancelGracefully,
          at,
          step.claim.jobId,
          step.pipelineId,
        );
        if (claimed.changes !== 1) return false;
      }
      try {
        this.sql.run(
          "INSERT INTO pipeline_events (pipeline_id, seq, event) VALUES (?, ?, ?)",
          step.pipelineId,
          step.seq,
          JSON.stringify(step.event),
        );
      } catch (error) {
        if (conflictFrom(error)) {
          throw new StoreConflict(
            `pipeline event seq ${step.seq} of pipeline ${step.pipelineId} is taken`,
          );
        }
        throw error;
      }
      for (const job of step.newJobs) {
        translatingConflicts(() => this.sql.run(INSERT_JOB, ...jobValues(job)));
      }
      for (const change of step.changedJobs) {
        const set = assignments(change, JOB_COLUMNS);
        const changed = this.sql.run(
          `UPDATE jobs SET ${[...set.map((a) => `${a.column} = ?`), "updated_at = ?"].join(", ")}
           WHERE id = ? AND pipeline_id = ?`,
          ...set.map((a) => a.value),
          at,
          change.id,
          step.pipelineId,
        );
        if (changed.changes !== 1) {
          throw new Error(`job ${change.id} of pipeline ${step.pipelineId} does not exist`);
        }
      }
      this.sql.run(
        `UPDATE pipelines SET status = ?, updated_at = ?, started_at = coalesce(?, started_at),
           finished_at = coalesce(?, finished_at)
         WHERE id = ?`,
        step.pipeline.status,
        at,
        orNull(step.pipeline.startedAt),
        orNull(step.pipeline.finishedAt),
        step.pipelineId,
      );
      return true;
    });
    return record.immediate();
  }

  async maxJobId(): Promise<number> {
    const row = this.sql.one(
      "SELECT max(max_id, coalesce((SELECT max(id) FROM jobs), 0)) AS max_id FROM job_ids",
    );
    return Number(row?.max_id ?? 0);
  }
}

export class SqliteJobs implements JobStore {
  constructor(private readonly sql: Statements) {}

  async byId(id: number): Promise<JobRecord | undefined> {
    const row = this.sql.one("SELECT * FROM jobs WHERE id = ?", id);
    return row && jobFrom(row);
  }

  async byTokenDigest(digest: string): Promise<JobRecord | undefined> {
    const row = this.sql.one("SELECT * FROM jobs WHERE token_digest = ?", digest);
    return row && jobFrom(row);
  }

  async ofPipeline(pipelineId: number): Promise<JobRecord[]> {
    return this.sql
      .all("SELECT * FROM jobs WHERE pipeline_id = ? ORDER BY id", pipelineId)
      .map(jobFrom);
  }

  async ofProject(
    projectId: number,
    filter: { statuses?: JobStatus[]; limit?: number; offset?: number } = {},
  ): Promise<JobRecord[]> {
    const statuses = filter.statuses ?? [];
    const byStatus =
      statuses.length > 0 ? ` AND status IN (${statuses.map(() => "?").join(", ")})` : "";
    return this.sql
      .all(
        `SELECT * FROM jobs WHERE project_id = ?${byStatus} ORDER BY id DESC LIMIT ? OFFSET ?`,
        projectId,
        ...statuses,
        filter.limit ?? -1,
        filter.offset ?? 0,
      )
      .map(jobFrom);
  }

  async queue(limit: number): Promise<JobRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM jobs WHERE status = 'pending' AND runner_id IS NULL
         ORDER BY queued_at, id LIMIT ?`,
        limit,
      )
      .map(jobFrom);
  }

  async stale(before: number): Promise<JobRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM jobs WHERE status IN ('running', 'canceling') AND runner_id IS NOT NULL
           AND updated_at < ?
         ORDER BY updated_at, id`,
        before,
      )
      .map(jobFrom);
  }

  async touch(id: number, now: number): Promise<void> {
    this.sql.run("UPDATE jobs SET updated_at = ? WHERE id = ?", now, id);
  }

  async clearToken(id: number): Promise<void> {
    this.sql.run("UPDATE jobs SET token_digest = NULL WHERE id = ?", id);
  }
}

export class SqliteTraces implements TraceStore {
  constructor(private readonly sql: Statements) {}

  async append(jobId: number, offset: number, bytes: Uint8Array): Promise<TraceAppend> {
    const append = this.sql.db.transaction((): TraceAppend => {
      const size = this.sizeOf(jobId);
      if (offset !== size) return { ok: false, size };
      if (bytes.byteLength === 0) return { ok: true, size };
      this.sql.run(
        `INSERT INTO trace_sizes (job_id, size) VALUES (?, ?)
         ON CONFLICT (job_id) DO UPDATE SET size = excluded.size`,
        jobId,
        size + bytes.byteLength,
      );
      this.sql.run(
        "INSERT INTO trace_chunks (job_id, byte_offset, data) VALUES (?, ?, ?)",
        jobId,
        offset,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      );
      return { ok: true, size: size + bytes.byteLength };
    });
    return append.immediate();
  }

  async read(jobId: number, from = 0, to?: number): Promise<Uint8Array> {
    const size = this.sizeOf(jobId);
    const start = Math.max(0, from);
    const end = Math.min(to ?? size, size);
    if (start >= end) return Buffer.alloc(0);
    const chunks = this.sql.all(
      `SELECT byte_offset, data FROM trace_chunks
       WHERE job_id = ? AND byte_offset < ? AND byte_offset >= coalesce(
         (SELECT max(byte_offset) FROM trace_chunks WHERE job_id = ? AND byte_offset <= ?), 0)
       ORDER BY byte_offset`,
      jobId,
      end,
      jobId,
      start,
    );
    return sliceChunks(chunks, start, end);
  }

  async size(jobId: number): Promise<number> {
    return this.sizeOf(jobId);
  }

  private sizeOf(jobId: number): number {
    const row = this.sql.one("SELECT size FROM trace_sizes WHERE job_id = ?", jobId);
    return row ? Number(row.size) : 0;
  }
}

export class SqliteArtifacts implements ArtifactStore {
  constructor(private readonly sql: Statements) {}

  async create(artifact: NewArtifact): Promise<ArtifactRecord> {
    const row = this.sql.one(
      `INSERT INTO artifacts (job_id, file_type, file_format, filename, size, sha256, blob_key,
         expire_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      artifact.jobId,
      artifact.fileType,
      artifact.fileFormat,
      artifact.filename,
      artifact.size,
      artifact.sha256,
      artifact.blobKey,
      orNull(artifact.expireAt),
      artifact.createdAt,
    );
    return artifactFrom(row!);
  }

  async ofJob(jobId: number): Promise<ArtifactRecord[]> {
    return this.sql
      .all("SELECT * FROM artifacts WHERE job_id = ? ORDER BY id", jobId)
      .map(artifactFrom);
  }

  async expired(now: number): Promise<ArtifactRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM artifacts WHERE expire_at IS NOT NULL AND expire_at < ?
         ORDER BY expire_at, id`,
        now,
      )
      .map(artifactFrom);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM artifacts WHERE id = ?", id);
  }
}
