#!/usr/bin/env node
/**
 * Runs Conveyor's command line exactly as packages/cli/bin/conveyor.js does, and at exit writes
 * the CPU time of this process alone (user and system, in microseconds; not the jobs or other
 * child processes it started) as JSON to the file named by CONVEYOR_BENCH_CPU_FILE.
 * process.cpuUsage() is getrusage(RUSAGE_SELF): children are not counted.
 *
 * usage: CONVEYOR_BENCH_CPU_FILE=/tmp/cpu.json node bench/lib/cpu-probe.mjs run --executor shell …
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { CLI_LAUNCH } from "./paths.mjs";

const file = process.env.CONVEYOR_BENCH_CPU_FILE;
// The probe's own variable stays out of the jobs' environment.
delete process.env.CONVEYOR_BENCH_CPU_FILE;
if (file) {
  process.once("exit", () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, `${JSON.stringify({ userUs: user, systemUs: system })}\n`);
  });
}

const { launch } = await import(pathToFileURL(CLI_LAUNCH).href);
process.exitCode = await launch(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
