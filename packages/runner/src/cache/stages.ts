/**
 * The restore and save stages of caches as the runner core calls them, with the archive code
 * loaded on the first job that has a cache (see artifacts/stages.ts).
 */
import type { RestoreCachesOptions, SaveCachesOptions } from "./transfer.js";

export async function restoreCaches(options: RestoreCachesOptions): Promise<void> {
  return (await import("./transfer.js")).restoreCaches(options);
}

export async function saveCaches(options: SaveCachesOptions): Promise<void> {
  return (await import("./transfer.js")).saveCaches(options);
}
