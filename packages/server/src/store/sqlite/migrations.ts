/**
 * The SQLite schema as an ordered list of numbered migrations, and the code that brings a
 * database up to date when it is opened. A migration, once released, is never edited: changes
 * are new migrations appended to the list. Applied versions are rows of `schema_migrations`.
 * All pending migrations run in one IMMEDIATE transaction, which takes SQLite's write lock
 * first, so two processes opening the same file at once apply each migration once.
 *
 * Column names match the PostgreSQL schema (../postgres/migrations.ts) so both stores share
 * their row mapping (../rows.ts). Booleans are 0/1, times epoch ms, JSON is text.
 */
import type Database from "better-sqlite3";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  admin INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE access_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  scopes TEXT NOT NULL,
  expires_at INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX access_tokens_digest_key ON access_tokens (digest);
CREATE INDEX access_tokens_user ON access_tokens (user_id);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  default_branch TEXT NOT NULL,
  visibility TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The last CI_PIPELINE_IID handed out: iids never repeat, even after deletions.
  last_pipeline_iid INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX projects_path_key ON projects (path);

CREATE TABLE members (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access_level INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id);

CREATE TABLE runners (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_digest TEXT NOT NULL,
  description TEXT NOT NULL,
  tags TEXT NOT NULL,
  run_untagged INTEGER NOT NULL,
  locked INTEGER NOT NULL,
  paused INTEGER NOT NULL,
  runner_type TEXT NOT NULL,
  access_level TEXT NOT NULL,
  maximum_timeout INTEGER,
  created_at INTEGER NOT NULL,
  contacted_at INTEGER,
  info TEXT
);
CREATE UNIQUE INDEX runners_token_digest_key ON runners (token_digest);

CREATE TABLE runner_projects (
  runner_id INTEGER NOT NULL REFERENCES runners (id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  PRIMARY KEY (runner_id, project_id)
) WITHOUT ROWID;
CREATE INDEX runner_projects_project ON runner_projects (project_id);

CREATE TABLE pipelines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iid INTEGER NOT NULL,
  ref TEXT NOT NULL,
  tag INTEGER NOT NULL,
  sha TEXT NOT NULL,
  before_sha TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  event TEXT NOT NULL,
  plan TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE UNIQUE INDEX pipelines_project_iid_key ON pipelines (project_id, iid);
CREATE INDEX pipelines_project ON pipelines (project_id, id);
CREATE INDEX pipelines_active ON pipelines (id)
  WHERE status NOT IN ('success', 'failed', 'canceled', 'skipped');
CREATE INDEX pipelines_user ON pipelines (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE pipeline_events (
  pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (pipeline_id, seq)
) WITHOUT ROWID;

-- Job ids come from the coordinator. Deleting a project records the largest job id here
-- first, so ids are never handed out twice.
CREATE TABLE job_ids (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  max_id INTEGER NOT NULL
);
INSERT INTO job_ids (one, max_id) VALUES (1, 0);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  stage TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  retried INTEGER NOT NULL,
  allow_failure INTEGER NOT NULL,
  tags TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  failure_reason TEXT,
  exit_code INTEGER,
  runner_id INTEGER,
  token_digest TEXT,
  cancel_gracefully INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  queued_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX jobs_pipeline ON jobs (pipeline_id, id);
CREATE INDEX jobs_project ON jobs (project_id, id);
CREATE INDEX jobs_token_digest ON jobs (token_digest) WHERE token_digest IS NOT NULL;
CREATE INDEX jobs_queue ON jobs (queued_at, id) WHERE status = 'pending' AND runner_id IS NULL;
CREATE INDEX jobs_held ON jobs (updated_at) WHERE status IN ('running', 'canceling');

-- A trace is its length plus the chunks appended, keyed by the byte offset they start at.
CREATE TABLE trace_sizes (
  job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  size INTEGER NOT NULL
);
CREATE TABLE trace_chunks (
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  byte_offset INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (job_id, byte_offset)
);

CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  file_type TEXT NOT NULL,
  file_format TEXT NOT NULL,
  filename TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  expire_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX artifacts_job ON artifacts (job_id);
CREATE INDEX artifacts_expire ON artifacts (expire_at) WHERE expire_at IS NOT NULL;

CREATE TABLE variables (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_ciphertext TEXT NOT NULL,
  variable_type TEXT NOT NULL,
  masked INTEGER NOT NULL,
  protected INTEGER NOT NULL,
  raw INTEGER NOT NULL,
  environment_scope TEXT NOT NULL,
  description TEXT
);
-- Instance variables (project_id NULL) are unique among themselves too.
CREATE UNIQUE INDEX variables_key ON variables (coalesce(project_id, 0), key, environment_scope);
CREATE INDEX variables_project ON variables (project_id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE trigger_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  description TEXT NOT NULL,
  digest TEXT NOT NULL,
  hint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE UNIQUE INDEX trigger_tokens_digest_key ON trigger_tokens (digest);
CREATE INDEX trigger_tokens_project ON trigger_tokens (project_id);
CREATE INDEX trigger_tokens_owner ON trigger_tokens (owner_id);

CREATE TABLE schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  description TEXT NOT NULL,
  ref TEXT NOT NULL,
  cron TEXT NOT NULL,
  cron_timezone TEXT NOT NULL,
  active INTEGER NOT NULL,
  variables TEXT NOT NULL,
  next_run_at INTEGER,
  last_pipeline_id INTEGER REFERENCES pipelines (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX schedules_project ON schedules (project_id);
CREATE INDEX schedules_owner ON schedules (owner_id);
CREATE INDEX schedules_last_pipeline ON schedules (last_pipeline_id)
  WHERE last_pipeline_id IS NOT NULL;
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE active = 1;

CREATE TABLE inbound_hooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  secret_ciphertext TEXT NOT NULL,
  clone_url TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX inbound_hooks_project ON inbound_hooks (project_id);

CREATE TABLE environments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  external_url TEXT,
  tier TEXT NOT NULL,
  state TEXT NOT NULL,
  last_deployment_job_id INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX environments_project_name_key ON environments (project_id, name);
CREATE INDEX environments_last_deployment ON environments (last_deployment_job_id)
  WHERE last_deployment_job_id IS NOT NULL;
`,
  },
  {
    version: 2,
    name: "deploy system: clusters, resource sets and versions, deployments with their logs",
    sql: `
-- Kubernetes clusters of a project, or of the instance (project_id NULL); credentials sealed.
CREATE TABLE clusters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  credential_kind TEXT NOT NULL,
  credentials_ciphertext TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX clusters_name_key ON clusters (coalesce(project_id, 0), name);
CREATE INDEX clusters_project ON clusters (project_id);

CREATE TABLE resource_sets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX resource_sets_project_name_key ON resource_sets (project_id, name);

-- Immutable versions: the rendered version (source and objects) as JSON, keyed by its digest.
CREATE TABLE resource_set_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_set_id INTEGER NOT NULL REFERENCES resource_sets (id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL,
  digest TEXT NOT NULL,
  rendered TEXT NOT NULL,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  job_id INTEGER,
  pipeline_id INTEGER,
  ref TEXT,
  sha TEXT,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX resource_set_versions_digest_key ON resource_set_versions (resource_set_id, digest);
CREATE INDEX resource_set_versions_user ON resource_set_versions (user_id) WHERE user_id IS NOT NULL;

ALTER TABLE environments ADD COLUMN cluster_id INTEGER REFERENCES clusters (id) ON DELETE SET NULL;
ALTER TABLE environments ADD COLUMN namespace TEXT;
ALTER TABLE environments ADD COLUMN impersonate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN protected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN pinned_version_id INTEGER
  REFERENCES resource_set_versions (id) ON DELETE SET NULL;
CREATE INDEX environments_cluster ON environments (cluster_id) WHERE cluster_id IS NOT NULL;
CREATE INDEX environments_pinned_version ON environments (pinned_version_id)
  WHERE pinned_version_id IS NOT NULL;

-- The last deployment iid handed out: iids never repeat.
ALTER TABLE projects ADD COLUMN last_deployment_iid INTEGER NOT NULL DEFAULT 0;

CREATE TABLE deployments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iid INTEGER NOT NULL,
  environment_id INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  engine INTEGER NOT NULL,
  ref TEXT,
  sha TEXT,
  tag INTEGER NOT NULL,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  job_id INTEGER,
  pipeline_id INTEGER,
  version_id INTEGER REFERENCES resource_set_versions (id) ON DELETE SET NULL,
  objects TEXT,
  inventory TEXT,
  message TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE UNIQUE INDEX deployments_project_iid_key ON deployments (project_id, iid);
CREATE INDEX deployments_project ON deployments (project_id, id);
CREATE INDEX deployments_environment ON deployments (environment_id, id);
CREATE INDEX deployments_job ON deployments (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX deployments_user ON deployments (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX deployments_version ON deployments (version_id) WHERE version_id IS NOT NULL;
CREATE INDEX deployments_engine_active ON deployments (environment_id, id)
  WHERE engine = 1 AND status IN ('created', 'running');

CREATE TABLE deployment_log (
  deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (deployment_id, seq)
) WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: "environment lifecycle: auto_stop_at, deployments' on_stop and auto_stop_in",
    sql: `
-- When an available environment stops by itself (GitLab's auto_stop_at), epoch ms.
ALTER TABLE environments ADD COLUMN auto_stop_at INTEGER;
CREATE INDEX environments_auto_stop ON environments (auto_stop_at)
  WHERE auto_stop_at IS NOT NULL AND state = 'available';

-- The deploying job's environment:on_stop and environment:auto_stop_in.
ALTER TABLE deployments ADD COLUMN on_stop TEXT;
ALTER TABLE deployments ADD COLUMN auto_stop_in TEXT;
`,
  },
  {
    version: 4,
    name: "job environments: which environment each job acts on, settled once its end applied",
    sql: `
-- Which environment a job acts on and how (environment:action); settled_at once the job's end
-- moved the environment, so a server that stopped in between finishes it when it starts.
CREATE TABLE job_environments (
  job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  environment_id INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  action TEXT NOT NULL,
  settled_at INTEGER
);
CREATE INDEX job_environments_environment ON job_environments (environment_id);
CREATE INDEX job_environments_unsettled ON job_environments (job_id) WHERE settled_at IS NULL;

-- What earlier versions kept in settings ('job-environment:<job id>' => JSON) moves here; the
-- ends of jobs that had finished were applied then.
INSERT INTO job_environments (job_id, environment_id, action, settled_at)
  SELECT j.id, e.id, remembered.action,
    CASE WHEN j.status IN ('success', 'failed', 'canceled', 'skipped')
      THEN coalesce(j.finished_at, j.updated_at) END
  FROM (
    SELECT CAST(substr(key, 17) AS INTEGER) AS job_id,
      json_extract(value, '$.environmentId') AS environment_id,
      coalesce(json_extract(value, '$.action'), 'start') AS action
    FROM settings WHERE key LIKE 'job-environment:%' AND json_valid(value)
  ) remembered
  JOIN jobs j ON j.id = remembered.job_id
  JOIN environments e ON e.id = remembered.environment_id;
DELETE FROM settings WHERE key LIKE 'job-environment:%';

-- Deployments that may still have to follow their job (found again at start).
CREATE INDEX deployments_unfinished_job ON deployments (job_id)
  WHERE job_id IS NOT NULL AND status IN ('created', 'running');
CREATE INDEX environments_stopping ON environments (id) WHERE state = 'stopping';
`,
  },
];

/** Applies the migrations `db` lacks, in order; a no-op on an up-to-date database. */
export function migrateSqlite(
  db: Database.Database,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): void {
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const applied = new Set(
      db
        .prepare("SELECT version FROM schema_migrations")
        .all()
        .map((row) => Number((row as { version: number }).version)),
    );
    const record = db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
    );
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
  });
  apply.immediate();
}
