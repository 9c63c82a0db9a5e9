/**
 * PostgreSQL stores of pipeline execution: pipelines with their event log, job attempts,
 * job traces and artifact records. On the dispatch path a claim is one conditional UPDATE in
 * the transaction that records the event (the row lock makes concurrent claims of one job,
 * from this process or another, resolve to exactly one winner), and a trace append is one
 * statement.
 */
import type { EngineEvent, JobStatus, PipelineStatus } from "@conveyor/engine";
import type pg from "pg";
import { assignments, JOB_COLUMNS } from "../changes.js";
import { conflictFrom, translatingConflictsAsync } from "../conflicts.js";
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
import { setClause } from "./accounts.js";
import { exec, one, rows, Rollback, transaction } from "./pool.js";

/** Rows per INSERT of new jobs: far below PostgreSQL's 65535 parameters per statement. */
const JOBS_PER_INSERT = 500;

function insertJobs(count: number): string {
  const width = JOB_INSERT_COLUMNS.length;
  const tuples = Array.from(
    { length: count },
    (_, row) =>
      `(${JOB_INSERT_COLUMNS.map((_, column) => `$${row * width + column + 1}`).join(", ")})`,
  );
  return `INSERT INTO jobs (${JOB_INSERT_COLUMNS.join(", ")}) VALUES ${tuples.join(", ")}`;
}

export class PgPipelines implements PipelineStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(pipeline: NewPipeline, now: number): Promise<PipelineRecord> {
    return transaction(this.pool, async (client) => {
      // The project row's lock orders concurrent creations: iids are dense and unique.
      const allocated = await one(
        client,
        `UPDATE projects SET last_pipeline_iid = last_pipeline_iid + 1 WHERE id = $1
         RETURNING last_pipeline_iid AS iid, nextval(pg_get_serial_sequence('pipelines', 'id')) AS id`,
        pipeline.projectId,
      );
      if (!allocated) throw new Error(`project ${pipeline.projectId} does not exist`);
      const id = Number(allocated.id);
      const iid = Number(allocated.iid);
      const event = { ...pipeline.event, pipelineId: id, pipelineIid: iid };
      const row = await translatingConflictsAsync(() =>
        one(
          client,
          `INSERT INTO pipelines (id, project_id, iid, ref, tag, sha, before_sha, source, status,
             user_id, event, plan, created_at, updated_at, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
           RETURNING *`,
          id,
          pipeline.projectId,
          iid,
          pipeline.ref,
          pipeline.tag,
          pipeline.sha,
          pipeline.beforeSha,
          pipeline.source,
          pipeline.status,
          orNull(pipeline.userId),
          JSON.stringify(event),
          JSON.stringify(pipeline.plan),
          pipeline.createdAt,
          now,
          orNull(pipeline.startedAt),
          orNull(pipeline.finishedAt),
        ),
      );
      return pipelineFrom(row!);
    });
  }

  async byId(id: number): Promise<PipelineRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM pipelines WHERE id = $1", id);
    return row && pipelineFrom(row);
  }

  async list(
    projectId: number,
    filter: { ref?: string; status?: PipelineStatus; limit?: number; offset?: number } = {},
  ): Promise<PipelineRecord[]> {
    const where = ["project_id = $1"];
    const values: unknown[] = [projectId];
    if (filter.ref !== undefined) {
      values.push(filter.ref);
      where.push(`ref = $${values.length}`);
    }
    if (filter.status !== undefined) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    values.push(orNull(filter.limit), filter.offset ?? 0);
    const found = await rows(
      this.pool,
      `SELECT * FROM pipelines WHERE ${where.join(" AND ")}
       ORDER BY id DESC LIMIT $${values.length - 1} OFFSET $${values.length}`,
      ...values,
    );
    return found.map(pipelineFrom);
  }

  async active(): Promise<PipelineRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT * FROM pipelines
       WHERE status NOT IN ('success', 'failed', 'canceled', 'skipped') ORDER BY id`,
    );
    return found.map(pipelineFrom);
  }

  async events(pipelineId: number): Promise<EngineEvent[]> {
    const found = await rows(
      this.pool,
      "SELECT event FROM pipeline_events WHERE pipeline_id = $1 ORDER BY seq",
      pipelineId,
    );
    return found.map(eventFrom);
  }

  async recordStep(step: PipelineStep): Promise<boolean> {
    const at = step.pipeline.updatedAt;
    return transaction(this.pool, async (client) => {
      if (step.claim) {
        // A concurrent claim of the same job waits on the row lock, then finds runner_id set
        // and matches no row (READ COMMITTED re-checks the WHERE on the updated row).
        const claimed = await exec(
          client,
          `UPDATE jobs SET runner_id = $3, token_digest = $4, cancel_gracefully = $5,
             updated_at = $6
           WHERE id = $1 AND pipeline_id = $2 AND status = 'pending' AND runner_id IS NULL`,
          step.claim.jobId,
          step.pipelineId,
          step.claim.runnerId,
          step.claim.tokenDigest,
          step.claim.cancelGracefully,
          at,
        );
        if (claimed !== 1) throw new Rollback(false);
      }
      try {
        await exec(
          client,
          "INSERT INTO pipeline_events (pipeline_id, seq, event) VALUES ($1, $2, $3)",
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
      for (let first = 0; first < step.newJobs.length; first += JOBS_PER_INSERT) {
        const batch = step.newJobs.slice(first, first + JOBS_PER_INSERT);
        await translatingConflictsAsync(() =>
          exec(client, insertJobs(batch.length), ...batch.flatMap(jobValues)),
        );
      }
      for (const change of step.changedJobs) {
        const set = assignments(change, JOB_COLUMNS);
        const changed = await exec(
          client,
          `UPDATE jobs SET ${[setClause(set, 4), "updated_at = $3"].filter(Boolean).join(", ")}
           WHERE id = $1 AND pipeline_id = $2`,
          change.id,
          step.pipelineId,
          at,
          ...set.map((a) => a.value),
        );
        if (changed !== 1) {
          throw new Error(`job ${change.id} of pipeline ${step.pipelineId} does not exist`);
        }
      }
      await exec(
        client,
        `UPDATE pipelines SET status = $2, updated_at = $3,
           started_at = coalesce($4, started_at), finished_at = coalesce($5, finished_at)
         WHERE id = $1`,
        step.pipelineId,
        step.pipeline.status,
        at,
        orNull(step.pipeline.startedAt),
        orNull(step.pipeline.finishedAt),
      );
      return true;
    });
  }

  async maxJobId(): Promise<number> {
    const row = await one(
      this.pool,
      "SELECT greatest(max_id, coalesce((SELECT max(id) FROM jobs), 0)) AS max_id FROM job_ids",
    );
    return Number(row?.max_id ?? 0);
  }
}

export class PgJobs implements JobStore {
  constructor(private readonly pool: pg.Pool) {}

  async byId(id: number): Promise<JobRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM jobs WHERE id = $1", id);
    return row && jobFrom(row);
  }

  async byTokenDigest(digest: string): Promise<JobRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM jobs WHERE token_digest = $1", digest);
    return row && jobFrom(row);
  }

  async ofPipeline(pipelineId: number): Promise<JobRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM jobs WHERE pipeline_id = $1 ORDER BY id",
      pipelineId,
    );
    return found.map(jobFrom);
  }

  async ofProject(
    projectId: number,
    filter: { statuses?: JobStatus[]; limit?: number; offset?: number } = {},
  ): Promise<JobRecord[]> {
    const statuses = filter.statuses ?? [];
    const found =
      statuses.length > 0
        ? await rows(
            this.pool,
            `SELECT * FROM jobs WHERE project_id = $1 AND status = ANY($2::text[])
             ORDER BY id DESC LIMIT $3 OFFSET $4`,
            projectId,
            statuses,
            orNull(filter.limit),
            filter.offset ?? 0,
          )
        : await rows(
            this.pool,
            "SELECT * FROM jobs WHERE project_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            projectId,
            orNull(filter.limit),
            filter.offset ?? 0,
          );
    return found.map(jobFrom);
  }

  async queue(limit: number): Promise<JobRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT * FROM jobs WHERE status = 'pending' AND runner_id IS NULL
       ORDER BY queued_at NULLS FIRST, id LIMIT $1`,
      limit,
    );
    return found.map(jobFrom);
  }

  async stale(before: number): Promise<JobRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT * FROM jobs WHERE status IN ('running', 'canceling') AND runner_id IS NOT NULL
         AND updated_at < $1
       ORDER BY updated_at, id`,
      before,
    );
    return found.map(jobFrom);
  }

  async touch(id: number, now: number): Promise<void> {
    await exec(this.pool, "UPDATE jobs SET updated_at = $2 WHERE id = $1", id, now);
  }

  async clearToken(id: number): Promise<void> {
    await exec(this.pool, "UPDATE jobs SET token_digest = NULL WHERE id = $1", id);
  }
}

/** Grows a trace that has no bytes yet (its size row may not exist) and stores the chunk. */
const APPEND_FIRST = `WITH grown AS (
    INSERT INTO trace_sizes (job_id, size) VALUES ($1, $3)
    ON CONFLICT (job_id) DO UPDATE SET size = trace_sizes.size + excluded.size
      WHERE trace_sizes.size = 0
    RETURNING size)
  INSERT INTO trace_chunks (job_id, byte_offset, data) SELECT $1::bigint, 0, $2::bytea FROM grown`;

/** Grows a trace whose stored length is $4 and stores the chunk at that offset. */
const APPEND_NEXT = `WITH grown AS (
    UPDATE trace_sizes SET size = size + $3 WHERE job_id = $1 AND size = $4 RETURNING size)
  INSERT INTO trace_chunks (job_id, byte_offset, data)
  SELECT $1::bigint, $4::bigint, $2::bytea FROM grown`;

export class PgTraces implements TraceStore {
  constructor(private readonly pool: pg.Pool) {}

  async append(jobId: number, offset: number, bytes: Uint8Array): Promise<TraceAppend> {
    if (bytes.byteLength > 0) {
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // One statement: the size check, the size update and the chunk commit together.
      const appended =
        offset === 0
          ? await exec(this.pool, APPEND_FIRST, jobId, data, data.byteLength)
          : await exec(this.pool, APPEND_NEXT, jobId, data, data.byteLength, offset);
      if (appended === 1) return { ok: true, size: offset + data.byteLength };
    }
    const size = await this.size(jobId);
    return { ok: bytes.byteLength === 0 && offset === size, size };
  }

  async read(jobId: number, from = 0, to?: number): Promise<Uint8Array> {
    const size = await this.size(jobId);
    const start = Math.max(0, from);
    const end = Math.min(to ?? size, size);
    if (start >= end) return Buffer.alloc(0);
    const chunks = await rows(
      this.pool,
      `SELECT byte_offset, data FROM trace_chunks
       WHERE job_id = $1 AND byte_offset < $2 AND byte_offset >= coalesce(
         (SELECT max(byte_offset) FROM trace_chunks WHERE job_id = $1 AND byte_offset <= $3), 0)
       ORDER BY byte_offset`,
      jobId,
      end,
      start,
    );
    return sliceChunks(chunks, start, end);
  }

  async size(jobId: number): Promise<number> {
    const row = await one(this.pool, "SELECT size FROM trace_sizes WHERE job_id = $1", jobId);
    return row ? Number(row.size) : 0;
  }
}

export class PgArtifacts implements ArtifactStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(artifact: NewArtifact): Promise<ArtifactRecord> {
    const row = await one(
      this.pool,
      `INSERT INTO artifacts (job_id, file_type, file_format, filename, size, sha256, blob_key,
         expire_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
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
    const found = await rows(
      this.pool,
      "SELECT * FROM artifacts WHERE job_id = $1 ORDER BY id",
      jobId,
    );
    return found.map(artifactFrom);
  }

  async expired(now: number): Promise<ArtifactRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT * FROM artifacts WHERE expire_at IS NOT NULL AND expire_at < $1
       ORDER BY expire_at, id`,
      now,
    );
    return found.map(artifactFrom);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM artifacts WHERE id = $1", id);
  }
}
