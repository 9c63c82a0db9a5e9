#!/usr/bin/env node
import { launch } from "../dist/launch/launch.js";

// Output piped into a reader that stops early (`| head`): drop the rest instead of crashing, so
// that a run still finishes its jobs and cleans up after them.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

process.exitCode = await launch(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
