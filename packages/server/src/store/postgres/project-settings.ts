/**
 * PostgreSQL stores of what configures pipelines: CI/CD variables, instance settings, trigger
 * tokens, schedules, inbound push hooks and deployment environments.
 */
import type pg from "pg";
import { assignments, ENVIRONMENT_COLUMNS, SCHEDULE_COLUMNS } from "../changes.js";
import { translatingConflictsAsync } from "../conflicts.js";
import {
  environmentFrom,
  hookFrom,
  jobEnvironmentFrom,
  orNull,
  scheduleFrom,
  triggerFrom,
  variableFrom,
} from "../rows.js";
import type {
  EnvironmentChange,
  EnvironmentState,
  EnvironmentRecord,
  EnvironmentStore,
  InboundHookRecord,
  InboundHookStore,
  JobEnvironmentRecord,
  JobEnvironmentStore,
  NewEnvironment,
  NewInboundHook,
  NewSchedule,
  NewTriggerToken,
  NewVariable,
  ScheduleRecord,
  ScheduleStore,
  SettingStore,
  TriggerTokenRecord,
  TriggerTokenStore,
  VariableRecord,
  VariableStore,
} from "../types.js";
import { setClause } from "./accounts.js";
import { exec, one, rows } from "./pool.js";

export class PgVariables implements VariableStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(variable: NewVariable): Promise<VariableRecord> {
    // The conflict target infers the expression index variables_key: one row per
    // (project or instance, key, scope); a put keeps the row's id.
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO variables (project_id, key, value_ciphertext, variable_type, masked,
           protected, raw, environment_scope, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT ((coalesce(project_id, 0)), key, environment_scope) DO UPDATE SET
           value_ciphertext = excluded.value_ciphertext, variable_type = excluded.variable_type,
           masked = excluded.masked, protected = excluded.protected, raw = excluded.raw,
           description = excluded.description
         RETURNING *`,
        orNull(variable.projectId),
        variable.key,
        variable.valueCiphertext,
        variable.variableType,
        variable.masked,
        variable.protected,
        variable.raw,
        variable.environmentScope,
        orNull(variable.description),
      ),
    );
    return variableFrom(row!);
  }

  async list(projectId?: number): Promise<VariableRecord[]> {
    const found =
      projectId === undefined
        ? await rows(this.pool, "SELECT * FROM variables WHERE project_id IS NULL ORDER BY id")
        : await rows(
            this.pool,
            "SELECT * FROM variables WHERE project_id = $1 ORDER BY id",
            projectId,
          );
    return found.map(variableFrom);
  }

  async get(
    projectId: number | undefined,
    key: string,
    environmentScope?: string,
  ): Promise<VariableRecord | undefined> {
    // Without a scope: the `*` variable when there is one, else the oldest with that key.
    const row =
      environmentScope === undefined
        ? await one(
            this.pool,
            `SELECT * FROM variables WHERE coalesce(project_id, 0) = coalesce($1::bigint, 0)
               AND key = $2
             ORDER BY environment_scope = '*' DESC, id LIMIT 1`,
            orNull(projectId),
            key,
          )
        : await one(
            this.pool,
            `SELECT * FROM variables WHERE coalesce(project_id, 0) = coalesce($1::bigint, 0)
               AND key = $2 AND environment_scope = $3`,
            orNull(projectId),
            key,
            environmentScope,
          );
    return row && variableFrom(row);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM variables WHERE id = $1", id);
  }
}

export class PgSettings implements SettingStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(key: string): Promise<string | undefined> {
    const row = await one(this.pool, "SELECT value FROM settings WHERE key = $1", key);
    return row ? String(row.value) : undefined;
  }

  async set(key: string, value: string): Promise<void> {
    await exec(
      this.pool,
      `INSERT INTO settings (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    );
  }
}

export class PgTriggers implements TriggerTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(token: NewTriggerToken, now: number): Promise<TriggerTokenRecord> {
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO trigger_tokens (project_id, owner_id, description, digest, hint, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        token.projectId,
        token.ownerId,
        token.description,
        token.digest,
        token.hint,
        now,
      ),
    );
    return triggerFrom(row!);
  }

  async byDigest(digest: string): Promise<TriggerTokenRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM trigger_tokens WHERE digest = $1", digest);
    return row && triggerFrom(row);
  }

  async ofProject(projectId: number): Promise<TriggerTokenRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM trigger_tokens WHERE project_id = $1 ORDER BY id",
      projectId,
    );
    return found.map(triggerFrom);
  }

  async used(id: number, now: number): Promise<void> {
    await exec(this.pool, "UPDATE trigger_tokens SET last_used_at = $2 WHERE id = $1", id, now);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM trigger_tokens WHERE id = $1", id);
  }
}

export class PgSchedules implements ScheduleStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(schedule: NewSchedule, now: number): Promise<ScheduleRecord> {
    const row = await one(
      this.pool,
      `INSERT INTO schedules (project_id, owner_id, description, ref, cron, cron_timezone,
         active, variables, next_run_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *`,
      schedule.projectId,
      schedule.ownerId,
      schedule.description,
      schedule.ref,
      schedule.cron,
      schedule.cronTimezone,
      schedule.active,
      JSON.stringify(schedule.variables),
      orNull(schedule.nextRunAt),
      now,
    );
    return scheduleFrom(row!);
  }

  async byId(id: number): Promise<ScheduleRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM schedules WHERE id = $1", id);
    return row && scheduleFrom(row);
  }

  async ofProject(projectId: number): Promise<ScheduleRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM schedules WHERE project_id = $1 ORDER BY id",
      projectId,
    );
    return found.map(scheduleFrom);
  }

  async due(now: number): Promise<ScheduleRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM schedules WHERE active AND next_run_at <= $1 ORDER BY next_run_at, id",
      now,
    );
    return found.map(scheduleFrom);
  }

  async update(
    id: number,
    change: Partial<Omit<ScheduleRecord, "id" | "projectId" | "createdAt">>,
    now: number,
  ): Promise<ScheduleRecord | undefined> {
    const set = assignments(change, SCHEDULE_COLUMNS);
    const row = await one(
      this.pool,
      `UPDATE schedules SET ${[setClause(set, 3), "updated_at = $2"].filter(Boolean).join(", ")}
       WHERE id = $1 RETURNING *`,
      id,
      now,
      ...set.map((a) => a.value),
    );
    return row && scheduleFrom(row);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM schedules WHERE id = $1", id);
  }
}

export class PgHooks implements InboundHookStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(hook: NewInboundHook, now: number): Promise<InboundHookRecord> {
    const row = await one(
      this.pool,
      `INSERT INTO inbound_hooks (project_id, provider, secret_ciphertext, clone_url, created_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      hook.projectId,
      hook.provider,
      hook.secretCiphertext,
      hook.cloneUrl,
      now,
    );
    return hookFrom(row!);
  }

  async byId(id: number): Promise<InboundHookRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM inbound_hooks WHERE id = $1", id);
    return row && hookFrom(row);
  }

  async ofProject(projectId: number): Promise<InboundHookRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM inbound_hooks WHERE project_id = $1 ORDER BY id",
      projectId,
    );
    return found.map(hookFrom);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM inbound_hooks WHERE id = $1", id);
  }
}

export class PgEnvironments implements EnvironmentStore {
  constructor(private readonly pool: pg.Pool) {}

  async ensure(environment: NewEnvironment, now: number): Promise<EnvironmentRecord> {
    const created = await one(
      this.pool,
      `INSERT INTO environments (project_id, name, slug, external_url, tier, state,
         last_deployment_job_id, cluster_id, namespace, impersonate, protected,
         pinned_version_id, created_at, updated_at, auto_stop_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
       ON CONFLICT (project_id, name) DO NOTHING RETURNING *`,
      environment.projectId,
      environment.name,
      environment.slug,
      orNull(environment.externalUrl),
      environment.tier,
      environment.state,
      orNull(environment.lastDeploymentJobId),
      orNull(environment.clusterId),
      orNull(environment.namespace),
      environment.impersonate ?? false,
      environment.protected ?? false,
      orNull(environment.pinnedVersionId),
      now,
      orNull(environment.autoStopAt),
    );
    // ON CONFLICT DO NOTHING returns no row for an existing environment: it is read instead
    // (an environment is never deleted and recreated under the same name in between by us).
    const row =
      created ??
      (await one(
        this.pool,
        "SELECT * FROM environments WHERE project_id = $1 AND name = $2",
        environment.projectId,
        environment.name,
      ));
    if (!row) throw new Error(`environment ${environment.name} vanished while ensured`);
    return environmentFrom(row);
  }

  async byId(id: number): Promise<EnvironmentRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM environments WHERE id = $1", id);
    return row && environmentFrom(row);
  }

  async ofProject(projectId: number): Promise<EnvironmentRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM environments WHERE project_id = $1 ORDER BY id",
      projectId,
    );
    return found.map(environmentFrom);
  }

  async update(
    id: number,
    change: EnvironmentChange,
    now: number,
    from?: readonly EnvironmentState[],
  ): Promise<EnvironmentRecord | undefined> {
    const set = assignments(change, ENVIRONMENT_COLUMNS);
    const values: unknown[] = [id, now, ...set.map((a) => a.value)];
    let guard = "";
    if (from) {
      values.push([...from]);
      guard = ` AND state = ANY($${values.length}::text[])`;
    }
    const row = await one(
      this.pool,
      `UPDATE environments SET ${[setClause(set, 3), "updated_at = $2"].filter(Boolean).join(", ")}
       WHERE id = $1${guard} RETURNING *`,
      ...values,
    );
    return row && environmentFrom(row);
  }

  async autoStopDue(now: number, limit = 100): Promise<EnvironmentRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT * FROM environments
       WHERE auto_stop_at IS NOT NULL AND state = 'available' AND auto_stop_at <= $1
       ORDER BY auto_stop_at, id LIMIT $2`,
      now,
      limit,
    );
    return found.map(environmentFrom);
  }

  async stopping(limit = 100): Promise<EnvironmentRecord[]> {
    const found = await rows(
      this.pool,
      "SELECT * FROM environments WHERE state = 'stopping' ORDER BY id LIMIT $1",
      limit,
    );
    return found.map(environmentFrom);
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM environments WHERE id = $1", id);
  }
}

export class PgJobEnvironments implements JobEnvironmentStore {
  constructor(private readonly pool: pg.Pool) {}

  async remember(record: Omit<JobEnvironmentRecord, "settledAt">): Promise<void> {
    await exec(
      this.pool,
      `INSERT INTO job_environments (job_id, environment_id, action) VALUES ($1, $2, $3)
       ON CONFLICT (job_id) DO UPDATE
         SET environment_id = excluded.environment_id, action = excluded.action`,
      record.jobId,
      record.environmentId,
      record.action,
    );
  }

  async ofJob(jobId: number): Promise<JobEnvironmentRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM job_environments WHERE job_id = $1", jobId);
    return row && jobEnvironmentFrom(row);
  }

  async settle(jobId: number, now: number): Promise<void> {
    await exec(
      this.pool,
      "UPDATE job_environments SET settled_at = $1 WHERE job_id = $2 AND settled_at IS NULL",
      now,
      jobId,
    );
  }

  async ended(limit = 1000): Promise<JobEnvironmentRecord[]> {
    const found = await rows(
      this.pool,
      `SELECT je.* FROM job_environments je JOIN jobs j ON j.id = je.job_id
       WHERE je.settled_at IS NULL AND j.status IN ('success', 'failed', 'canceled', 'skipped')
       ORDER BY coalesce(j.finished_at, j.updated_at), j.id LIMIT $1`,
      limit,
    );
    return found.map(jobEnvironmentFrom);
  }
}
