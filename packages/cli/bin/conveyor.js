#!/usr/bin/env node
import module from "node:module";

// Node 22.1+ keeps V8's compiled code for the bundle between runs (in the OS temp folder):
// a short command spends much of its time compiling. Older Node lines lack the function.
module.enableCompileCache?.();

const { main } = await import("../dist/conveyor.mjs");
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
