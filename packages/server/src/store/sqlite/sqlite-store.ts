/**
 * The embedded store: one SQLite file in the server's data directory
 * (`<dataDir>/conveyor.sqlite3`), opened with better-sqlite3. Calls run synchronously on the
 * server's thread, so each method is atomic by construction; multi-statement writes use an
 * IMMEDIATE transaction so another process sharing the file cannot interleave.
 */
import type { Store } from "../types.js";
import { SqliteAccessTokens, SqliteProjects, SqliteRunners, SqliteUsers } from "./accounts.js";
import { openSqliteDatabase, Statements } from "./database.js";
import { SqliteClusters, SqliteDeployments, SqliteResourceSets } from "./deploy.js";
import { SqliteArtifacts, SqliteJobs, SqlitePipelines, SqliteTraces } from "./pipelines.js";
import {
  SqliteEnvironments,
  SqliteHooks,
  SqliteJobEnvironments,
  SqliteSchedules,
  SqliteSettings,
  SqliteTriggers,
  SqliteVariables,
} from "./project-settings.js";

export async function openSqliteStore(dataDir: string): Promise<Store> {
  const sql = new Statements(openSqliteDatabase(dataDir));
  let closed = false;
  return {
    kind: "sqlite",
    users: new SqliteUsers(sql),
    tokens: new SqliteAccessTokens(sql),
    projects: new SqliteProjects(sql),
    runners: new SqliteRunners(sql),
    pipelines: new SqlitePipelines(sql),
    jobs: new SqliteJobs(sql),
    traces: new SqliteTraces(sql),
    artifacts: new SqliteArtifacts(sql),
    variables: new SqliteVariables(sql),
    settings: new SqliteSettings(sql),
    triggers: new SqliteTriggers(sql),
    schedules: new SqliteSchedules(sql),
    hooks: new SqliteHooks(sql),
    environments: new SqliteEnvironments(sql),
    jobEnvironments: new SqliteJobEnvironments(sql),
    clusters: new SqliteClusters(sql),
    resourceSets: new SqliteResourceSets(sql),
    deployments: new SqliteDeployments(sql),
    async close() {
      if (closed) return;
      closed = true;
      sql.db.close();
    },
  };
}
