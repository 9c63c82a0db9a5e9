/**
 * Where things are, for every benchmark: the repository, Conveyor's command-line entry and
 * bundle, and the folder the reports are written to.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = resolve(BENCH, "..");
/** `conveyor` as a user runs it. */
export const CLI_BIN = join(ROOT, "packages/cli/bin/conveyor.js");
/** The bundle CLI_BIN imports `main` from. */
export const CLI_BUNDLE = join(ROOT, "packages/cli/dist/conveyor.mjs");
export const OUT_DIR = join(BENCH, "out");
