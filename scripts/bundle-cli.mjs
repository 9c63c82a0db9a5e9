#!/usr/bin/env node
// Bundles the `conveyor` command into one ES module (packages/cli/dist/conveyor.mjs) so a run
// loads one file instead of ~150: module loading is a large share of a short command's time.
// The unbundled build (tsc, packages/*/dist) stays what the tests import.
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
await build({
  entryPoints: [`${root}packages/cli/src/main.ts`],
  outfile: `${root}packages/cli/dist/conveyor.mjs`,
  bundle: true,
  // dockerode reaches native optional modules (ssh2); it loads from node_modules when the
  // Docker executor is used.
  external: ["dockerode"],
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Bundled CommonJS dependencies call require(); give the module one.
  banner: {
    js: "import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);",
  },
});
