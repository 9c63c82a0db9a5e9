#!/usr/bin/env node
// Bundles the `conveyor` command into one ES module (packages/cli/dist/conveyor.mjs) so a run
// loads one file instead of ~150: module loading is a large share of a short command's time.
// The Docker executor is a separate chunk (packages/cli/dist/chunks/), loaded on use.
// The unbundled build (tsc, packages/*/dist) stays what the tests import.
import { rmSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
// Chunk names carry a content hash: drop the previous build's.
rmSync(`${root}packages/cli/dist/chunks`, { recursive: true, force: true });
await build({
  entryPoints: [`${root}packages/cli/src/main.ts`],
  outdir: `${root}packages/cli/dist`,
  entryNames: "conveyor",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  // What is imported dynamically (the Docker executor) goes into a chunk of its own, loaded only
  // when used: every command would otherwise pay for loading the Docker client.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  // dockerode reaches native optional modules (ssh2); it loads from node_modules when the
  // Docker executor is used.
  // The server's database drivers are native or load optional modules; fastify and its plugins
  // stay as published. All of them load from node_modules when `conveyor server` starts.
  external: ["dockerode", "better-sqlite3", "pg", "pg-native", "fastify", "@fastify/multipart"],
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
