/**
 * Opens the SQLite database of a data directory (`<dir>/conveyor.sqlite3`) with the settings
 * the store relies on, and caches prepared statements so each SQL text is compiled once.
 *
 * Settings (https://www.sqlite.org/pragma.html):
 * - `journal_mode=WAL`: readers do not block the writer; a second server process may open the
 *   same file.
 * - `synchronous=NORMAL`: in WAL mode a commit is written to the WAL file before the call
 *   returns and is only fsynced at checkpoints, so a crash or SIGKILL of the server process
 *   loses nothing it acknowledged; only an operating-system crash or power loss can lose the
 *   last commits (https://www.sqlite.org/wal.html#performance_considerations). FULL would add
 *   an fsync to every commit (every job claim and trace append) for that case alone.
 * - `foreign_keys=ON`: deletions cascade as the schema says.
 * - a 5 s busy timeout: a write waits for another process's transaction instead of failing.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { migrateSqlite } from "./migrations.js";

export const SQLITE_FILE = "conveyor.sqlite3";

export function openSqliteDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, SQLITE_FILE), {
    timeout: 5000,
    ...nativeBindingOption(),
  });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrateSqlite(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** SQLite binds numbers, strings, bigints, buffers and null: booleans become 0/1. */
export function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

/** Prepared statements by SQL text, compiled on first use. */
export class Statements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  /** The first row, or undefined. */
  one(sql: string, ...values: unknown[]): Record<string, unknown> | undefined {
    return this.get(sql).get(...values.map(bindable)) as Record<string, unknown> | undefined;
  }

  all(sql: string, ...values: unknown[]): Record<string, unknown>[] {
    return this.get(sql).all(...values.map(bindable)) as Record<string, unknown>[];
  }

  run(sql: string, ...values: unknown[]): Database.RunResult {
    return this.get(sql).run(...values.map(bindable));
  }
}

/**
 * better-sqlite3's `nativeBinding` when CONVEYOR_SQLITE_BINDING names an addon built for another
 * Node ABI than the installed one (scripts/test-node-lines.sh builds one per Node major).
 */
export function nativeBindingOption(): { nativeBinding?: string } {
  const binding = process.env.CONVEYOR_SQLITE_BINDING;
  return binding ? { nativeBinding: binding } : {};
}
