#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts a CommonJS entry sooner than an ES module one, and
// everything `conveyor` runs is in CommonJS bundles (dist/bundle, see src/launch/launch.ts).
"use strict";
const { endProcess, launch, startBriefCommand } = require("../dist/bundle/launch.cjs");

// Output piped into a reader that stops early (`| head`): drop the rest instead of crashing, so
// that a run still finishes its jobs and cleans up after them.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

const argv = process.argv.slice(2);
// Before any bundle is compiled: lint and plan run under V8 flags of their own.
const cacheVariant = startBriefCommand(argv);
launch(
  argv,
  { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env },
  { cacheVariant },
).then((code) => endProcess(argv, code, process));
