/**
 * SQLite stores of what configures pipelines: CI/CD variables, instance settings, trigger
 * tokens, schedules, inbound push hooks and deployment environments.
 */
import { assignments, ENVIRONMENT_COLUMNS, SCHEDULE_COLUMNS } from "../changes.js";
import { translatingConflicts } from "../conflicts.js";
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
import type { Statements } from "./database.js";

export class SqliteVariables implements VariableStore {
  constructor(private readonly sql: Statements) {}

  async put(variable: NewVariable): Promise<VariableRecord> {
    // The conflict target is the expression index variables_key: one row per
    // (project or instance, key, scope); a put keeps the row's id.
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO variables (project_id, key, value_ciphertext, variable_type, masked,
           protected, raw, environment_scope, description)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (coalesce(project_id, 0), key, environment_scope) DO UPDATE SET
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
    const rows =
      projectId === undefined
        ? this.sql.all("SELECT * FROM variables WHERE project_id IS NULL ORDER BY id")
        : this.sql.all("SELECT * FROM variables WHERE project_id = ? ORDER BY id", projectId);
    return rows.map(variableFrom);
  }

  async get(
    projectId: number | undefined,
    key: string,
    environmentScope?: string,
  ): Promise<VariableRecord | undefined> {
    // Without a scope: the `*` variable when there is one, else the oldest with that key.
    const row =
      environmentScope === undefined
        ? this.sql.one(
            `SELECT * FROM variables WHERE coalesce(project_id, 0) = coalesce(?, 0) AND key = ?
             ORDER BY environment_scope = '*' DESC, id LIMIT 1`,
            orNull(projectId),
            key,
          )
        : this.sql.one(
            `SELECT * FROM variables WHERE coalesce(project_id, 0) = coalesce(?, 0) AND key = ?
               AND environment_scope = ?`,
            orNull(projectId),
            key,
            environmentScope,
          );
    return row && variableFrom(row);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM variables WHERE id = ?", id);
  }
}

export class SqliteSettings implements SettingStore {
  constructor(private readonly sql: Statements) {}

  async get(key: string): Promise<string | undefined> {
    const row = this.sql.one("SELECT value FROM settings WHERE key = ?", key);
    return row ? String(row.value) : undefined;
  }

  async set(key: string, value: string): Promise<void> {
    this.sql.run(
      `INSERT INTO settings (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    );
  }
}

export class SqliteTriggers implements TriggerTokenStore {
  constructor(private readonly sql: Statements) {}

  async create(token: NewTriggerToken, now: number): Promise<TriggerTokenRecord> {
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO trigger_tokens (project_id, owner_id, description, digest, hint, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
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
    const row = this.sql.one("SELECT * FROM trigger_tokens WHERE digest = ?", digest);
    return row && triggerFrom(row);
  }

  async ofProject(projectId: number): Promise<TriggerTokenRecord[]> {
    return this.sql
      .all("SELECT * FROM trigger_tokens WHERE project_id = ? ORDER BY id", projectId)
      .map(triggerFrom);
  }

  async used(id: number, now: number): Promise<void> {
    this.sql.run("UPDATE trigger_tokens SET last_used_at = ? WHERE id = ?", now, id);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM trigger_tokens WHERE id = ?", id);
  }
}

export class SqliteSchedules implements ScheduleStore {
  constructor(private readonly sql: Statements) {}

  async create(schedule: NewSchedule, now: number): Promise<ScheduleRecord> {
    const row = this.sql.one(
      `INSERT INTO schedules (project_id, owner_id, description, ref, cron, cron_timezone,
         active, variables, next_run_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
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
      now,
    );
    return scheduleFrom(row!);
  }

  async byId(id: number): Promise<ScheduleRecord | undefined> {
    const row = this.sql.one("SELECT * FROM schedules WHERE id = ?", id);
    return row && scheduleFrom(row);
  }

  async ofProject(projectId: number): Promise<ScheduleRecord[]> {
    return this.sql
      .all("SELECT * FROM schedules WHERE project_id = ? ORDER BY id", projectId)
      .map(scheduleFrom);
  }

  async due(now: number): Promise<ScheduleRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM schedules WHERE active = 1 AND next_run_at <= ?
         ORDER BY next_run_at, id`,
        now,
      )
      .map(scheduleFrom);
  }

  async update(
    id: number,
    change: Partial<Omit<ScheduleRecord, "id" | "projectId" | "createdAt">>,
    now: number,
  ): Promise<ScheduleRecord | undefined> {
    const set = assignments(change, SCHEDULE_COLUMNS);
    const row = this.sql.one(
      `UPDATE schedules SET ${[...set.map((a) => `${a.column} = ?`), "updated_at = ?"].join(", ")}
       WHERE id = ? RETURNING *`,
      ...set.map((a) => a.value),
      now,
      id,
    );
    return row && scheduleFrom(row);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM schedules WHERE id = ?", id);
  }
}

export class SqliteHooks implements InboundHookStore {
  constructor(private readonly sql: Statements) {}

  async create(hook: NewInboundHook, now: number): Promise<InboundHookRecord> {
    const row = this.sql.one(
      `INSERT INTO inbound_hooks (project_id, provider, secret_ciphertext, clone_url, created_at)
       VALUES (?, ?, ?, ?, ?) RETURNING *`,
      hook.projectId,
      hook.provider,
      hook.secretCiphertext,
      hook.cloneUrl,
      now,
    );
    return hookFrom(row!);
  }

  async byId(id: number): Promise<InboundHookRecord | undefined> {
    const row = this.sql.one("SELECT * FROM inbound_hooks WHERE id = ?", id);
    return row && hookFrom(row);
  }

  async ofProject(projectId: number): Promise<InboundHookRecord[]> {
    return this.sql
      .all("SELECT * FROM inbound_hooks WHERE project_id = ? ORDER BY id", projectId)
      .map(hookFrom);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM inbound_hooks WHERE id = ?", id);
  }
}

export class SqliteEnvironments implements EnvironmentStore {
  constructor(private readonly sql: Statements) {}

  async ensure(environment: NewEnvironment, now: number): Promise<EnvironmentRecord> {
    const ensure = this.sql.db.transaction(() => {
      this.sql.run(
        `INSERT INTO environments (project_id, name, slug, external_url, tier, state,
           last_deployment_job_id, auto_stop_at, cluster_id, namespace, impersonate, protected,
           pinned_version_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (project_id, name) DO NOTHING`,
        environment.projectId,
        environment.name,
        environment.slug,
        orNull(environment.externalUrl),
        environment.tier,
        environment.state,
        orNull(environment.lastDeploymentJobId),
        orNull(environment.autoStopAt),
        orNull(environment.clusterId),
        orNull(environment.namespace),
        environment.impersonate ?? false,
        environment.protected ?? false,
        orNull(environment.pinnedVersionId),
        now,
        now,
      );
      return this.sql.one(
        "SELECT * FROM environments WHERE project_id = ? AND name = ?",
        environment.projectId,
        environment.name,
      )!;
    });
    return environmentFrom(ensure.immediate());
  }

  async byId(id: number): Promise<EnvironmentRecord | undefined> {
    const row = this.sql.one("SELECT * FROM environments WHERE id = ?", id);
    return row && environmentFrom(row);
  }

  async ofProject(projectId: number): Promise<EnvironmentRecord[]> {
    return this.sql
      .all("SELECT * FROM environments WHERE project_id = ? ORDER BY id", projectId)
      .map(environmentFrom);
  }

  async update(
    id: number,
    change: EnvironmentChange,
    now: number,
    from?: readonly EnvironmentState[],
  ): Promise<EnvironmentRecord | undefined> {
    const set = assignments(change, ENVIRONMENT_COLUMNS);
    const guard = from ? ` AND state IN (${from.map(() => "?").join(", ") || "NULL"})` : "";
    const row = this.sql.one(
      `UPDATE environments SET ${[...set.map((a) => `${a.column} = ?`), "updated_at = ?"].join(", ")}
       WHERE id = ?${guard} RETURNING *`,
      ...set.map((a) => a.value),
      now,
      id,
      ...(from ?? []),
    );
    return row && environmentFrom(row);
  }

  async autoStopDue(now: number, limit = 100): Promise<EnvironmentRecord[]> {
    return this.sql
      .all(
        `SELECT * FROM environments
         WHERE auto_stop_at IS NOT NULL AND state = 'available' AND auto_stop_at <= ?
         ORDER BY auto_stop_at, id LIMIT ?`,
        now,
        limit,
      )
      .map(environmentFrom);
  }

  async stopping(limit = 100): Promise<EnvironmentRecord[]> {
    return this.sql
      .all("SELECT * FROM environments WHERE state = 'stopping' ORDER BY id LIMIT ?", limit)
      .map(environmentFrom);
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM environments WHERE id = ?", id);
  }
}

export class SqliteJobEnvironments implements JobEnvironmentStore {
  constructor(private readonly sql: Statements) {}

  async remember(record: Omit<JobEnvironmentRecord, "settledAt">): Promise<void> {
    this.sql.run(
      `INSERT INTO job_environments (job_id, environment_id, action) VALUES (?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE
         SET environment_id = excluded.environment_id, action = excluded.action`,
      record.jobId,
      record.environmentId,
      record.action,
    );
  }

  async ofJob(jobId: number): Promise<JobEnvironmentRecord | undefined> {
    const row = this.sql.one("SELECT * FROM job_environments WHERE job_id = ?", jobId);
    return row && jobEnvironmentFrom(row);
  }

  async settle(jobId: number, now: number): Promise<void> {
    this.sql.run(
      "UPDATE job_environments SET settled_at = ? WHERE job_id = ? AND settled_at IS NULL",
      now,
      jobId,
    );
  }

  async ended(limit = 1000): Promise<JobEnvironmentRecord[]> {
    return this.sql
      .all(
        `SELECT je.* FROM job_environments je JOIN jobs j ON j.id = je.job_id
         WHERE je.settled_at IS NULL AND j.status IN ('success', 'failed', 'canceled', 'skipped')
         ORDER BY coalesce(j.finished_at, j.updated_at), j.id LIMIT ?`,
        limit,
      )
      .map(jobEnvironmentFrom);
  }
}
