/**
 * Partial updates, shared by both stores: which record field is which column, and how a
 * change object becomes a list of column assignments. A field present with `undefined`
 * clears a nullable column (SQL NULL) and is ignored for a required one; an absent field
 * leaves its column alone.
 */
import type {
  DeploymentChange,
  EnvironmentChange,
  JobChange,
  ProjectRecord,
  RunnerRecord,
  ScheduleRecord,
} from "./types.js";

interface Column {
  column: string;
  nullable?: boolean;
  /** Arrays and objects are stored as JSON text. */
  json?: boolean;
}

type Columns<T> = { readonly [K in keyof T]?: Column };

export interface Assignment {
  column: string;
  value: unknown;
}

export function assignments<T extends object>(change: T, columns: Columns<T>): Assignment[] {
  const out: Assignment[] = [];
  for (const [field, column] of Object.entries(columns) as [string, Column][]) {
    if (!Object.prototype.hasOwnProperty.call(change, field)) continue;
    const value = (change as Record<string, unknown>)[field];
    if (value === undefined) {
      if (column.nullable) out.push({ column: column.column, value: null });
      continue;
    }
    out.push({ column: column.column, value: column.json ? JSON.stringify(value) : value });
  }
  return out;
}

export const PROJECT_COLUMNS: Columns<ProjectRecord> = {
  name: { column: "name" },
  description: { column: "description" },
  defaultBranch: { column: "default_branch" },
  visibility: { column: "visibility" },
};

export const RUNNER_COLUMNS: Columns<RunnerRecord> = {
  description: { column: "description" },
  tags: { column: "tags", json: true },
  runUntagged: { column: "run_untagged" },
  locked: { column: "locked" },
  paused: { column: "paused" },
  accessLevel: { column: "access_level" },
  tokenDigest: { column: "token_digest" },
};

export const JOB_COLUMNS: Columns<JobChange> = {
  status: { column: "status" },
  retried: { column: "retried" },
  allowFailure: { column: "allow_failure" },
  failureReason: { column: "failure_reason", nullable: true },
  exitCode: { column: "exit_code", nullable: true },
  queuedAt: { column: "queued_at", nullable: true },
  startedAt: { column: "started_at", nullable: true },
  finishedAt: { column: "finished_at", nullable: true },
};

/** `updatedAt` is not here: an update stamps the `now` it is given. */
export const SCHEDULE_COLUMNS: Columns<ScheduleRecord> = {
  ownerId: { column: "owner_id" },
  description: { column: "description" },
  ref: { column: "ref" },
  cron: { column: "cron" },
  cronTimezone: { column: "cron_timezone" },
  active: { column: "active" },
  variables: { column: "variables", json: true },
  nextRunAt: { column: "next_run_at", nullable: true },
  lastPipelineId: { column: "last_pipeline_id", nullable: true },
};

export const ENVIRONMENT_COLUMNS: Columns<EnvironmentChange> = {
  externalUrl: { column: "external_url", nullable: true },
  tier: { column: "tier" },
  state: { column: "state" },
  lastDeploymentJobId: { column: "last_deployment_job_id", nullable: true },
  autoStopAt: { column: "auto_stop_at", nullable: true },
  clusterId: { column: "cluster_id", nullable: true },
  namespace: { column: "namespace", nullable: true },
  impersonate: { column: "impersonate" },
  protected: { column: "protected" },
  pinnedVersionId: { column: "pinned_version_id", nullable: true },
};

/** `updatedAt` is stamped by the update; `engine` follows `source` (see deploymentEngineFlag). */
export const DEPLOYMENT_COLUMNS: Columns<DeploymentChange> = {
  status: { column: "status" },
  source: { column: "source" },
  versionId: { column: "version_id", nullable: true },
  objects: { column: "objects", nullable: true, json: true },
  inventory: { column: "inventory", nullable: true, json: true },
  message: { column: "message", nullable: true },
  startedAt: { column: "started_at", nullable: true },
  finishedAt: { column: "finished_at", nullable: true },
  userId: { column: "user_id", nullable: true },
};

/** A deployment change's assignments, with the `engine` column when the source changes. */
export function deploymentAssignments(
  change: DeploymentChange,
  isEngine: (source: NonNullable<DeploymentChange["source"]>) => boolean,
): Assignment[] {
  const set = assignments(change, DEPLOYMENT_COLUMNS);
  if (change.source !== undefined) set.push({ column: "engine", value: isEngine(change.source) });
  return set;
}

/** The ORDER BY of a deployment list (a whitelist: never a caller's text). */
export const DEPLOYMENT_ORDER: Record<string, string> = {
  id: "id",
  iid: "iid",
  created_at: "created_at",
  updated_at: "updated_at",
  // NULLs sort alike in both databases (SQLite puts them first, PostgreSQL last).
  finished_at: "coalesce(finished_at, 0)",
  ref: "coalesce(ref, '')",
};
