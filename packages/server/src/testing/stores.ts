/**
 * Test kit for the server's store: a real, isolated store per call. SQLite in a fresh
 * temporary directory by default; when CONVEYOR_TEST_DATABASE_URL is set (see
 * scripts/ci/start-postgres.sh), a fresh schema in that PostgreSQL database instead, so the
 * whole server suite can run a second time against PostgreSQL. A schema, not a database, per
 * store: creating one takes well under a millisecond where CREATE DATABASE takes tens.
 *
 * `target` is what `openStore` takes (the directory, or the URL whose `options` parameter sets
 * the schema as search_path), so a test can start a server process on the same data.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore } from "../store/index.js";
import type { Store } from "../store/types.js";

export const TEST_DATABASE_ENV = "CONVEYOR_TEST_DATABASE_URL";

export interface TestStore {
  /** The store opened last (by openTestStore or by reopen). */
  readonly store: Store;
  /** A data directory or a postgres:// URL, for `openStore` or a server process. */
  readonly target: string;
  /** Closes the current store (when still open) and opens the same target again. */
  reopen(): Promise<Store>;
  /** Closes the store and removes its data (the directory, or the schema). */
  dispose(): Promise<void>;
}

/**
 * An isolated store: `kind` defaults to PostgreSQL when CONVEYOR_TEST_DATABASE_URL is set,
 * else SQLite. Asking for PostgreSQL without that variable throws.
 */
export async function openTestStore(kind?: "sqlite" | "postgres"): Promise<TestStore> {
  const databaseUrl = process.env[TEST_DATABASE_ENV];
  const chosen = kind ?? (databaseUrl ? "postgres" : "sqlite");
  if (chosen === "postgres") {
    if (!databaseUrl) throw new Error(`set ${TEST_DATABASE_ENV} for a PostgreSQL test store`);
    const schema = await createTestSchema(databaseUrl);
    return handle(schema.target, schema.drop);
  }
  const dir = await mkdtemp(join(tmpdir(), "conveyor-store-"));
  return handle(dir, () => rm(dir, { recursive: true, force: true }));
}

/**
 * A fresh, empty schema `conveyor_test_<random>` in the database at `databaseUrl`: `target`
 * opens it (search_path), `drop` removes it with everything in it.
 */
export async function createTestSchema(
  databaseUrl: string,
): Promise<{ target: string; drop: () => Promise<void> }> {
  const schema = `conveyor_test_${randomBytes(6).toString("hex")}`;
  await admin(databaseUrl, `CREATE SCHEMA ${schema}`);
  const target = new URL(databaseUrl);
  target.searchParams.set("options", `-c search_path=${schema}`);
  return {
    target: target.toString(),
    drop: () => admin(databaseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

const adminPools = new Map<string, pg.Pool>();

/** Runs `sql` on the database itself, through a pool kept for the process's lifetime. */
async function admin(databaseUrl: string, sql: string): Promise<void> {
  let pool = adminPools.get(databaseUrl);
  if (!pool) {
    // allowExitOnIdle: idle connections do not keep a finished test process alive.
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4, allowExitOnIdle: true });
    pool.on("error", () => {});
    adminPools.set(databaseUrl, pool);
  }
  await pool.query(sql);
}

async function handle(target: string, remove: () => Promise<void>): Promise<TestStore> {
  let first: Store;
  try {
    first = await openStore(target);
  } catch (error) {
    await remove();
    throw error;
  }
  const opened: Store[] = [first];
  const current = () => opened[opened.length - 1]!;
  return {
    get store() {
      return current();
    },
    target,
    async reopen() {
      await current().close();
      opened.push(await openStore(target));
      return current();
    },
    async dispose() {
      for (const store of opened) await store.close();
      await remove();
    },
  };
}
