/**
 * Caches on the local disk: `<root>/<key>.zip` (keys may hold `/`, giving sub-folders, as the
 * runner's own local cache does with `<cache dir>/<key>/cache.zip`). Writes are atomic.
 */
import { stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import type { CacheStore } from "../ports.js";
import { replaceWithCopy } from "./atomic.js";

export class LocalCacheStore implements CacheStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Where the key's archive lives; throws for keys that would leave the root. */
  fileFor(key: string): string {
    const file = resolve(this.root, `${key}.zip`);
    if (key === "" || key.includes("\0") || !file.startsWith(this.root + sep)) {
      throw new Error(`invalid cache key ${JSON.stringify(key)}`);
    }
    return file;
  }

  async get(key: string): Promise<string | undefined> {
    const file = this.fileFor(key);
    try {
      return (await stat(file)).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  }

  async put(key: string, file: string): Promise<void> {
    await replaceWithCopy(file, this.fileFor(key));
  }
}
