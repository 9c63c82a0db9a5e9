/**
 * The PostgreSQL connection pool and the two ways the store talks through it: one statement
 * (`rows`/`exec`, prepared once per connection under a name derived from its text), and a
 * transaction on one client (`transaction`, BEGIN … COMMIT, ROLLBACK on any error).
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { Row } from "../rows.js";

export type Queryable = pg.Pool | pg.PoolClient;

/** int8 (OID 20) columns hold epoch ms and ids, all below 2^53: parse them as numbers. */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function createPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, types, max: 10 });
  // An idle client whose connection drops emits here; without a listener that error would
  // end the process. The next query on the pool gets a fresh connection or a clear error.
  pool.on("error", () => {});
  return pool;
}

const names = new Map<string, string>();

/** A named statement: PostgreSQL parses and plans it once per connection. */
function statement(text: string, values: readonly unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (!name) {
    name = `conveyor_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values: values as unknown[] };
}

export async function rows(db: Queryable, text: string, ...values: unknown[]): Promise<Row[]> {
  const result = await db.query<Row>(statement(text, values));
  return result.rows;
}

export async function one(
  db: Queryable,
  text: string,
  ...values: unknown[]
): Promise<Row | undefined> {
  return (await rows(db, text, ...values))[0];
}

/** Runs a statement; answers the number of rows it wrote. */
export async function exec(db: Queryable, text: string, ...values: unknown[]): Promise<number> {
  const result = await db.query(statement(text, values));
  return result.rowCount ?? 0;
}

/** Thrown inside `transaction` to roll back and answer `value` instead of failing. */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super("rollback");
  }
}

export async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackError) {
      // The connection is unusable: the pool must not hand it out again.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    if (error instanceof Rollback) return error.value as T;
    throw error;
  } finally {
    client.release(broken);
  }
}
