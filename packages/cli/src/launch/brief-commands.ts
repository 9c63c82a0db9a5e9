/**
 * `lint` and `plan`: brief commands. On a pipeline of a thousand jobs they do their work in a
 * few hundred milliseconds of one process, and that work is over when their promise resolves.
 *
 * In so short a run V8's optimizing compiler (TurboFan) costs more than it returns. By default
 * it starts compiling a function once the function has used V8's interrupt budget, which the
 * YAML reader, `extends` and the planner do within tens of milliseconds; the compiles (up to
 * ~37 ms each for the YAML reader's largest functions) then run on the other core while the
 * garbage collector wants it, and their code arrives when the command is nearly done. On the
 * 1,000-job planning benchmark the process spent ~170 ms more CPU and 45–58 ms more wall time
 * with V8's default than with TurboFan held off until a function has run eight times longer.
 * A pipeline twenty times larger still gets TurboFan for its hottest functions.
 *
 * V8 checks the flags a code cache was made under, so a brief command's caches carry a tag of
 * their own (BundleLocation.cacheVariant) and the other commands keep theirs.
 */
import { setFlagsFromString } from "node:v8";

/** The brief commands. */
export const BRIEF_COMMANDS: ReadonlySet<string> = new Set(["lint", "plan"]);

/** The tag of the code caches made under a brief command's V8 flags. */
export const BRIEF_CACHE_VARIANT = "brief";

/**
 * The V8 flag that holds TurboFan off eight times longer than V8's default, in the V8 of
 * `v8Version` (`process.versions.v8`): V8 11 (Node 20) counts an interrupt budget (default
 * 67,584), V8 12 and later (Node 22, 24) count invocations (default 3,000). V8 refuses a flag it
 * does not know, with a message on the console.
 */
export function optimizingCompilerDelay(v8Version: string): string {
  const major = Number.parseInt(v8Version, 10);
  return major >= 12 ? "--invocation-count-for-turbofan=24000" : "--interrupt-budget=540672";
}

/**
 * Sets up V8 for a brief command, before any of Conveyor's bundles is compiled: returns the
 * cache tag to load the bundles with, or undefined (nothing changed) for other commands.
 */
export function startBriefCommand(
  argv: readonly string[],
  setFlags: (flags: string) => void = setFlagsFromString,
  v8Version: string = process.versions.v8,
): string | undefined {
  if (!BRIEF_COMMANDS.has(argv[0] ?? "")) return undefined;
  setFlags(optimizingCompilerDelay(v8Version));
  return BRIEF_CACHE_VARIANT;
}
