/**
 * How the installed `conveyor` command starts: bin/conveyor.js requires this module, bundled
 * as dist/bundle/launch.cjs. The build (scripts/bundle-cli.mjs) bundles `main` and each command
 * into a CommonJS bundle of its own, listed with a digest of its contents in
 * `dist/bundle/manifest.json`. Each is loaded with V8's code cache (cached-script.ts), kept in
 * the user's cache folder: `$XDG_CACHE_HOME/conveyor/v8` or `~/.cache/conveyor/v8`.
 * `NODE_DISABLE_COMPILE_CACHE`, Node's switch for its own cache, turns this one off too.
 */
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { asksForHelp, type Io } from "../io.js";
import type { CommandLoader, main as mainFunction } from "../main.js";
import { BRIEF_COMMANDS } from "./brief-commands.js";
import { openBundles } from "./bundles.js";
import { takeDeferredCaCerts } from "./deferred-ca.js";

export { startBriefCommand } from "./brief-commands.js";

export interface LaunchOptions {
  /** The folder holding the manifest and the bundles (default: this build's). */
  bundleDir?: string;
  /** Where code caches are kept; undefined: no cache (default: compileCacheDir(io.env)). */
  cacheDir?: string | undefined;
  /** Tags the code caches: the process runs under V8 flags of its own (startBriefCommand). */
  cacheVariant?: string | undefined;
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
  const bundles = openBundles({ dir, cacheDir, cacheVariant: options.cacheVariant });
  const main = bundles.load("main").exports.main as typeof mainFunction;
  const loadCommand: CommandLoader = async (name) => {
    const command = bundles.load(name).exports[`${name}Command`];
    if (typeof command !== "function") throw new Error(`conveyor: bundle '${name}' has no command`);
    return command as Awaited<ReturnType<CommandLoader>>;
  };
  const extraCaCertsFile = takeDeferredCaCerts(io.env);
  const commandIo: Io = extraCaCertsFile === undefined ? io : { ...io, extraCaCertsFile };
  const code = await main(argv, commandIo, loadCommand);
  // A cache is written once: from a run that did the command's work (it ran to its end), not
  // from a usage error or a look at the help, which compile little of what the next run needs.
  if (code !== 2 && !asksForHelp(argv)) for (const bundle of bundles.loaded) bundle.saveCache();
  return code;
}

/** What `endProcess` needs of `process`. */
export interface EndingProcess {
  exitCode?: number | string | null | undefined;
  stdout: { write(text: string, done: () => void): unknown };
  stderr: { write(text: string, done: () => void): unknown };
  exit(code: number): void;
}

/**
 * Ends the process after `launch(argv)` resolved to `code`. Lint and plan exit as soon as
 * their output has reached stdout's and stderr's destinations (a write's callback runs once the
 * writes before it were flushed), rather than letting Node wind down: before a process may end,
 * Node runs the tasks V8 scheduled, a garbage collection among them after a large plan (~10 ms
 * of nothing for an ending process). Other commands end as Node ends them, when nothing is left
 * to wait for.
 */
export function endProcess(argv: readonly string[], code: number, ending: EndingProcess): void {
  ending.exitCode = code;
  if (!BRIEF_COMMANDS.has(argv[0] ?? "")) return;
  let unflushed = 2;
  const flushed = () => {
    unflushed -= 1;
    if (unflushed === 0) ending.exit(code);
  };
  ending.stdout.write("", flushed);
  ending.stderr.write("", flushed);
}
