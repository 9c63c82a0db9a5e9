#!/usr/bin/env node
import module from "node:module";

// Node 22.1+ keeps V8's compiled code for the bundle between runs (in the OS temp folder):
// a short command spends much of its time compiling. Older Node lines lack the function.
module.enableCompileCache?.();

// Output piped into a reader that stops early (`| head`): drop the rest instead of crashing, so
// that a run still finishes its jobs and cleans up after them.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

const { main } = await import("../dist/conveyor.mjs");
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
