#!/usr/bin/env node
// `npm run demo [-- RUN FLAGS]`: copies examples/hello into a new git repository in a temporary
// folder and runs `conveyor run` there with the shell executor (flags go to `conveyor run`, e.g.
// `-- --manual deploy`). The folder is kept, so its .conveyor/ (artifacts, logs, cache) can be
// looked at; its path is printed. Exits with conveyor's exit code.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const repo = mkdtempSync(join(tmpdir(), "conveyor-demo-"));
cpSync(join(root, "examples", "hello"), repo, { recursive: true });
const git = (...args) =>
  execFileSync(
    "git",
    ["-c", "user.name=Conveyor demo", "-c", "user.email=demo@conveyor.invalid", ...args],
    { cwd: repo, stdio: "ignore" },
  );
git("init", "-q", "-b", "main");
git("add", "-A");
git("commit", "-q", "-m", "The hello example");

process.stdout.write(`== conveyor run in ${repo}\n`);
const result = spawnSync(
  process.execPath,
  [join(root, "packages", "cli", "bin", "conveyor.js"), "run", ...process.argv.slice(2)],
  { cwd: repo, stdio: "inherit" },
);
process.stdout.write(`== the run's artifacts, logs and cache: ${join(repo, ".conveyor")}\n`);
process.exitCode = result.status ?? 1;
