/**
 * Uniqueness rules of the schema (named the same in SQLite and PostgreSQL) and the translation
 * of a driver's uniqueness error into a StoreConflict naming the field. A conflict message
 * never carries the value that collided: drivers put it in their messages (PostgreSQL's
 * `detail` reads `Key (digest)=(…) already exists`), and some of those values are digests of
 * secrets or ciphertexts.
 */
import { StoreConflict } from "./types.js";

interface UniqueRule {
  /** The unique index or primary key constraint (PostgreSQL's `constraint` field). */
  name: string;
  /** What SQLite names in `UNIQUE constraint failed: …` for the same rule. */
  sqliteColumns: string;
  message: string;
}

const RULES: readonly UniqueRule[] = [
  { name: "users_username_key", sqliteColumns: "users.username", message: "username is taken" },
  { name: "projects_path_key", sqliteColumns: "projects.path", message: "project path is taken" },
  {
    name: "access_tokens_digest_key",
    sqliteColumns: "access_tokens.digest",
    message: "access token digest is taken",
  },
  {
    name: "runners_token_digest_key",
    sqliteColumns: "runners.token_digest",
    message: "runner token digest is taken",
  },
  {
    name: "trigger_tokens_digest_key",
    sqliteColumns: "trigger_tokens.digest",
    message: "trigger token digest is taken",
  },
  {
    name: "variables_key",
    sqliteColumns: "index 'variables_key'",
    message: "variable key is taken for this project and environment scope",
  },
  {
    name: "environments_project_name_key",
    sqliteColumns: "environments.project_id, environments.name",
    message: "environment name is taken in this project",
  },
  {
    name: "clusters_name_key",
    sqliteColumns: "index 'clusters_name_key'",
    message: "cluster name is taken in this project",
  },
  {
    name: "resource_sets_project_name_key",
    sqliteColumns: "resource_sets.project_id, resource_sets.name",
    message: "resource set name is taken in this project",
  },
  {
    name: "resource_set_versions_digest_key",
    sqliteColumns: "resource_set_versions.resource_set_id, resource_set_versions.digest",
    message: "resource set version digest is taken",
  },
  {
    name: "deployments_project_iid_key",
    sqliteColumns: "deployments.project_id, deployments.iid",
    message: "deployment iid is taken in this project",
  },
  {
    name: "deployment_log_pkey",
    sqliteColumns: "deployment_log.deployment_id, deployment_log.seq",
    message: "deployment log line is taken",
  },
  {
    name: "pipelines_project_iid_key",
    sqliteColumns: "pipelines.project_id, pipelines.iid",
    message: "pipeline iid is taken in this project",
  },
  {
    name: "pipeline_events_pkey",
    sqliteColumns: "pipeline_events.pipeline_id, pipeline_events.seq",
    message: "pipeline event seq is taken",
  },
  { name: "jobs_pkey", sqliteColumns: "jobs.id", message: "job id is taken" },
  {
    name: "runner_projects_pkey",
    sqliteColumns: "runner_projects.runner_id, runner_projects.project_id",
    message: "runner project is listed twice",
  },
];

/** The StoreConflict for a uniqueness error of either driver, or undefined for other errors. */
export function conflictFrom(error: unknown): StoreConflict | undefined {
  if (error instanceof StoreConflict) return error;
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & { code?: unknown; constraint?: unknown };
  if (fields.code === "23505") {
    // PostgreSQL unique_violation (https://www.postgresql.org/docs/15/errcodes-appendix.html)
    const rule = RULES.find((r) => r.name === fields.constraint);
    return new StoreConflict(
      rule ? rule.message : `unique constraint ${String(fields.constraint)}`,
    );
  }
  if (
    fields.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    fields.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  ) {
    // https://www.sqlite.org/rescode.html#constraint_unique: the message lists the columns.
    const what = error.message.replace(/^UNIQUE constraint failed: /, "");
    const rule = RULES.find((r) => r.sqliteColumns === what);
    return new StoreConflict(rule ? rule.message : `unique constraint on ${what}`);
  }
  return undefined;
}

/** Runs `write`, turning a uniqueness error into a StoreConflict. */
export function translatingConflicts<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw conflictFrom(error) ?? error;
  }
}

/** `translatingConflicts` for an asynchronous write. */
export async function translatingConflictsAsync<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw conflictFrom(error) ?? error;
  }
}
