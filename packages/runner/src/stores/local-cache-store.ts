/**
 * Caches on the local disk, one archive per key: `<root>/<key>.zip` (conveyor run's layout), or
 * `<root>/<key>/cache.zip` (gitlab-runner's local cache, which `conveyor runner` keeps). Keys
 * may hold `/`, giving sub-folders; none may leave the root. Writes are atomic.
 */
import { stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { CacheStore } from "../ports.js";
import { replaceWithCopy } from "./atomic.js";

export class LocalCacheStore implements CacheStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly layout: "key.zip" | "key/cache.zip" = "key.zip",
  ) {
    this.root = resolve(root);
  }

  /** Where the key's archive lives; throws for keys that would leave the root. */
  fileFor(key: string): string {
    const file =
      this.layout === "key.zip"
        ? resolve(this.root, `${key}.zip`)
        : join(resolve(this.root, key), "cache.zip");
    const inside = this.layout === "key.zip" ? file : dirname(file);
    if (key === "" || key.includes("\0") || !inside.startsWith(this.root + sep)) {
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
