/**
 * Loads a CommonJS bundle with V8's code cache kept on disk between runs.
 *
 * A short command spends much of its time compiling its own code: V8 compiles each function the
 * first time it runs. `vm.Script` accepts the cache that `script.createCachedData()` made in an
 * earlier run; made after the command has run, it holds every function compiled so far, not only
 * the top level (Node's own `module.enableCompileCache`, from 22.1 on, saves the cache right after
 * the module is compiled, before its functions ran, and gains little here).
 *
 * V8 checks a cache against its own version, the flags it was made with and the length of the
 * source, and refuses one that does not match (`cachedDataRejected`): the script then compiles
 * as if there were no cache. The source's contents are not checked, so the cache file is named
 * after a digest of the bundle (given by the caller), V8's version and the architecture, and
 * tagged with the caller's variant when the process runs under V8 flags of its own (the flags
 * are checked too: a cache made under other flags is refused).
 *
 * A cache is written when there was none or V8 refused it, through a temporary file renamed
 * into place, so that concurrent runs never read half a file; the caches of other builds of the
 * same bundle for the same V8 are then removed. Failing to read or write a cache
 * never fails the command: it only runs without one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";

export interface CachedScriptOptions {
  /** The bundle: a CommonJS module. */
  file: string;
  /** A digest of the bundle's contents (names its cache file). */
  digest: string;
  /** Where caches are kept; undefined: no cache. */
  cacheDir: string | undefined;
  /** Tags the cache of a process started with V8 flags of its own (brief-commands.ts). */
  variant?: string | undefined;
}

export interface LoadedBundle {
  /** The bundle's `module.exports`. */
  exports: Record<string, unknown>;
  /** Whether V8 compiled the bundle from a cache it accepted. */
  fromCache: boolean;
  /** Writes the cache when there was none or V8 refused it; true when a cache was written. */
  saveCache(): boolean;
}

/** The file a bundle's cache is kept in. */
export function cacheFileOf(
  cacheDir: string,
  file: string,
  digest: string,
  variant?: string,
): string {
  return join(cacheDir, `${bundleName(file)}-${digest.slice(0, 16)}${cacheSuffix(variant)}`);
}

function bundleName(file: string): string {
  return file.replace(/^.*[\\/]/, "").replace(/\.c?js$/, "");
}

function cacheSuffix(variant: string | undefined): string {
  return `-v8-${process.versions.v8}-${process.arch}${variant === undefined ? "" : `-${variant}`}`;
}

/** Compiles and runs the bundle `file` as a CommonJS module (with a cache when there is one). */
export function loadCachedScript(options: CachedScriptOptions): LoadedBundle {
  const { file, digest, cacheDir, variant } = options;
  const source = readFileSync(file, "utf8");
  const cacheFile =
    cacheDir === undefined ? undefined : cacheFileOf(cacheDir, file, digest, variant);
  const cachedData = cacheFile === undefined ? undefined : readIfThere(cacheFile);
  // The same wrapper as Node's CommonJS loader: the bundle sees the usual module variables.
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: file, ...(cachedData ? { cachedData } : {}) },
  );
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  let saved = false;
  return {
    exports: module.exports,
    fromCache,
    saveCache() {
      if (cacheFile === undefined || fromCache || saved) return false;
      saved = true;
      if (!writeQuietly(cacheFile, script.createCachedData())) return false;
      pruneOtherBuilds(cacheFile, file, variant);
      return true;
    },
  };
}

/**
 * Removes the caches of other builds of the same bundle for this V8 (an upgrade leaves the old
 * one behind, and nothing would use it again); caches for other Node versions stay.
 */
function pruneOtherBuilds(cacheFile: string, file: string, variant: string | undefined): void {
  const dir = dirname(cacheFile);
  const prefix = `${bundleName(file)}-`;
  const suffix = cacheSuffix(variant);
  try {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry.startsWith(prefix) && entry.endsWith(suffix) && path !== cacheFile) {
        // The digest is the only part between the bundle's name and the suffix.
        if (/^[0-9a-f]+$/.test(entry.slice(prefix.length, -suffix.length))) rmSync(path);
      }
    }
  } catch {
    // Another run pruned it first, or the folder is not ours to clean: either way, no matter.
  }
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeQuietly(file: string, data: Buffer): boolean {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    // Only this user may write (or read) the code this process will run.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, file);
    return true;
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The folder could not be made either.
    }
    return false;
  }
}
