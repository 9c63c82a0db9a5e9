#!/usr/bin/env node
// Bundles the `conveyor` command for packages/cli/bin/conveyor.js: the launcher the bin
// requires (packages/cli/src/launch/launch.ts → dist/bundle/launch.cjs), `main` and each command
// (packages/cli/src/commands/<name>.ts) become a CommonJS bundle of their own in
// packages/cli/dist/bundle/, listed with a digest of their contents in manifest.json. A command
// loads one file instead of ~150 modules, only its own code, and through V8's code cache
// (packages/cli/src/launch/): module loading and compiling are a large share of a short command.
// The unbundled build (tsc, packages/*/dist) stays what the tests import.
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = `${root}packages/cli/dist`;
const outdir = `${dist}/bundle`;
// The commands main knows (the build compiles packages/cli before it bundles it).
const { COMMAND_NAMES } = await import(`${dist}/main.js`);

// The previous layout (one ES module and its chunks) and the previous bundles.
for (const old of ["chunks", "conveyor.mjs", "conveyor.mjs.map", "bundle"]) {
  rmSync(`${dist}/${old}`, { recursive: true, force: true });
}
const entryPoints = {
  main: `${root}packages/cli/src/main.ts`,
  ...Object.fromEntries(
    COMMAND_NAMES.map((name) => [name, `${root}packages/cli/src/commands/${name}.ts`]),
  ),
};
const shared = {
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  // dockerode reaches native optional modules (ssh2); it loads from node_modules when the
  // Docker executor is used.
  // The server's database drivers are native or load optional modules; fastify and its plugins
  // stay as published. All of them load from node_modules when `conveyor server` starts.
  external: ["dockerode", "better-sqlite3", "pg", "pg-native", "fastify", "@fastify/multipart"],
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  metafile: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  // The sources are ES modules, which are strict: so is their bundle. Bundled ES modules of
  // dependencies that read `import.meta.url` (fdir, to require its optional picomatch) get the
  // bundle's own URL.
  banner: {
    js: '"use strict";\nconst __bundleUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  define: { "import.meta.url": "__bundleUrl" },
  // The launcher runs bundles as vm.Script, which has no loader for `import()`: a module loaded
  // on first use (`await import("node:https")`) is required instead.
  supported: { "dynamic-import": false },
};
const result = await build({ ...shared, entryPoints });

const bundles = {};
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const file = basename(output);
  const digest = createHash("sha256")
    .update(readFileSync(`${root}${output}`))
    .digest("hex");
  bundles[file.replace(/\.cjs$/, "")] = { file, digest };
}
writeFileSync(`${outdir}/manifest.json`, `${JSON.stringify({ bundles }, null, 2)}\n`);

// Not in the manifest: what bin/conveyor.js requires to start the bundles above.
await build({
  ...shared,
  entryPoints: { launch: `${root}packages/cli/src/launch/launch.ts` },
  metafile: false,
});
