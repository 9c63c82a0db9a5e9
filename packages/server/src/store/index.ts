/**
 * The server's store: `openStore` picks the implementation from its target. A
 * `postgres://` or `postgresql://` URL opens PostgreSQL; anything else is a data directory
 * (created when missing) holding the SQLite file. Both bring their schema up to date first.
 */
import type { Store } from "./types.js";

export type * from "./types.js";
export { ACCESS_LEVELS, StoreConflict } from "./types.js";

const targets = new WeakMap<Store, string>();

export function isPostgresTarget(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

export async function openStore(target: string): Promise<Store> {
  const store = isPostgresTarget(target)
    ? await (await import("./postgres/postgres-store.js")).openPostgresStore(target)
    : await (await import("./sqlite/sqlite-store.js")).openSqliteStore(target);
  targets.set(store, target);
  return store;
}

/** The target a store was opened on by `openStore` (undefined for other stores). */
export function storeTarget(store: Store): string | undefined {
  return targets.get(store);
}
