/**
 * The store on a PostgreSQL server, for installations that run more than one server process
 * or want the database elsewhere. Opens a pool on the URL (its `options` query parameter, e.g.
 * `-c search_path=…`, reaches the server) and brings the schema up to date before use.
 */
import type { Store } from "../types.js";
import { PgAccessTokens, PgProjects, PgRunners, PgUsers } from "./accounts.js";
import { PgClusters, PgDeployments, PgResourceSets } from "./deploy.js";
import { migratePostgres } from "./migrations.js";
import { PgArtifacts, PgJobs, PgPipelines, PgTraces } from "./pipelines.js";
import { createPool } from "./pool.js";
import {
  PgEnvironments,
  PgHooks,
  PgJobEnvironments,
  PgSchedules,
  PgSettings,
  PgTriggers,
  PgVariables,
} from "./project-settings.js";

export async function openPostgresStore(url: string): Promise<Store> {
  const pool = createPool(url);
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    kind: "postgres",
    users: new PgUsers(pool),
    tokens: new PgAccessTokens(pool),
    projects: new PgProjects(pool),
    runners: new PgRunners(pool),
    pipelines: new PgPipelines(pool),
    jobs: new PgJobs(pool),
    traces: new PgTraces(pool),
    artifacts: new PgArtifacts(pool),
    variables: new PgVariables(pool),
    settings: new PgSettings(pool),
    triggers: new PgTriggers(pool),
    schedules: new PgSchedules(pool),
    hooks: new PgHooks(pool),
    environments: new PgEnvironments(pool),
    jobEnvironments: new PgJobEnvironments(pool),
    clusters: new PgClusters(pool),
    resourceSets: new PgResourceSets(pool),
    deployments: new PgDeployments(pool),
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
