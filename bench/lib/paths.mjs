/**
 * Where things are, for every benchmark: the repository, Conveyor's command-line entry and
 * bundle, and the folder the reports are written to.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = resolve(BENCH, "..");
/** `conveyor` as a user runs it: the command npm links onto the PATH (a shell script). */
export const CLI_COMMAND = join(ROOT, "packages/cli/bin/conveyor");
/** The Node entry CLI_COMMAND starts, run directly as `node CLI_BIN`. */
export const CLI_BIN = join(ROOT, "packages/cli/bin/conveyor.js");
/** What CLI_BIN starts the bundles with (packages/cli/src/launch/launch.ts, compiled). */
export const CLI_LAUNCH = join(ROOT, "packages/cli/dist/launch/launch.js");
/** The bundles' list, written by the build (scripts/bundle-cli.mjs). */
export const CLI_BUNDLES = join(ROOT, "packages/cli/dist/bundle/manifest.json");
export const OUT_DIR = join(BENCH, "out");
