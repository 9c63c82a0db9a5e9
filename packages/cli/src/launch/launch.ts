/**
 * How the installed `conveyor` command starts: bin/conveyor.js requires this module, bundled
 * as dist/bundle/launch.cjs. The build (scripts/bundle-cli.mjs) bundles `main` and each command
 * into a CommonJS bundle of its own, listed with a digest of its contents in
 * `dist/bundle/manifest.json`. Each is loaded with V8's code cache (cached-script.ts), kept in
 * the user's cache folder: `$XDG_CACHE_HOME/conveyor/v8` or `~/.cache/conveyor/v8`.
 * `NODE_DISABLE_COMPILE_CACHE`, Node's switch for its own cache, turns this one off too.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { asksForHelp, type Io } from "../io.js";
import type { CommandLoader, main as mainFunction } from "../main.js";
import { type LoadedBundle, loadCachedScript } from "./cached-script.js";

/** `dist/bundle/manifest.json`: each bundle's file (in the same folder) and digest. */
export interface BundleManifest {
  bundles: Record<string, { file: string; digest: string }>;
}

export interface LaunchOptions {
  /** The folder holding the manifest and the bundles (default: this build's). */
  bundleDir?: string;
  /** Where code caches are kept; undefined: no cache (default: compileCacheDir(io.env)). */
  cacheDir?: string | undefined;
}

export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "bundle");

/** The user's folder for code caches, or undefined when caching is turned off. */
export function compileCacheDir(env: Record<string, string | undefined>): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "conveyor", "v8");
  const home = safeHomedir();
  return home ? join(home, ".cache", "conveyor", "v8") : undefined;
}

function safeHomedir(): string | undefined {
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

/** Runs `conveyor` with `argv` from the bundles; resolves to the exit code. */
export async function launch(argv: string[], io: Io, options: LaunchOptions = {}): Promise<number> {
  const dir = options.bundleDir ?? BUNDLE_DIR;
  const cacheDir = "cacheDir" in options ? options.cacheDir : compileCacheDir(io.env);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as BundleManifest;
  const loaded: LoadedBundle[] = [];
  const load = (name: string): Record<string, unknown> => {
    const entry = manifest.bundles[name];
    if (!entry) throw new Error(`conveyor: ${join(dir, "manifest.json")} lists no '${name}'`);
    const bundle = loadCachedScript({
      file: join(dir, entry.file),
      digest: entry.digest,
      cacheDir,
    });
    loaded.push(bundle);
    return bundle.exports;
  };
  const main = load("main").main as typeof mainFunction;
  const loadCommand: CommandLoader = async (name) => {
    const command = load(name)[`${name}Command`];
    if (typeof command !== "function") throw new Error(`conveyor: bundle '${name}' has no command`);
    return command as Awaited<ReturnType<CommandLoader>>;
  };
  const code = await main(argv, io, loadCommand);
  // A cache is written once: from a run that did the command's work (it ran to its end), not
  // from a usage error or a look at the help, which compile little of what the next run needs.
  if (code !== 2 && !asksForHelp(argv)) for (const bundle of loaded) bundle.saveCache();
  return code;
}
