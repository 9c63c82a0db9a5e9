#!/usr/bin/env node
/**
 * The planning benchmark (`npm run bench`): how long it takes to plan a generated 1,000-job
 * `.gitlab-ci.yml` pipeline (bench/generate.mjs), measured in one run on the same repository for
 *
 *   conveyor (process)     `node packages/cli/bin/conveyor.js plan --json --branch main`
 *   conveyor (in-process)  buildEvent → loadPipeline → planLoaded from packages/pipeline/dist
 *   gitlab-ci-local        the peer, 4.75.1 on Node 22: `--list-json --cwd .`
 *
 * Prints min/median/p90 wall times, the peer/conveyor ratio of medians and the job count each
 * tool planned, and writes the same to bench/out/plan-bench.json. The target for Conveyor as a
 * whole process is a median under 300 ms; PASS/MISS is printed, and the exit code is 0 either
 * way unless a tool crashed or Conveyor's plan was not created.
 *
 * Flags: --runs N (15)  --warmup N (2)  --jobs N (1000)  --seed N  --no-peer  --keep
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeRepository } from "./generate.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");
const CLI_BIN = join(ROOT, "packages/cli/bin/conveyor.js");
const CLI_DIST = join(ROOT, "packages/cli/dist/main.js");
const PIPELINE_DIST = join(ROOT, "packages/pipeline/dist/index.js");
const TEMPLATES = join(ROOT, "packages/pipeline/templates");
const PEER_DIR = join(BENCH, ".peer");
const PEER_VERSION = "4.75.1";
const PEER_NODE_MAJOR = 22;
const OUT = join(BENCH, "out", "plan-bench.json");
const TARGET_MS = 300;

const log = (line) => process.stderr.write(`${line}\n`);

function parseArgs(argv) {
  const options = { runs: 15, warmup: 2, jobs: 1000, seed: undefined, peer: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const count = (min) => {
      const raw = argv[++i];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) {
        throw new Error(`${arg} needs an integer >= ${min} (got ${raw ?? "nothing"})`);
      }
      return n;
    };
    if (arg === "--runs") options.runs = count(1);
    else if (arg === "--warmup") options.warmup = count(0);
    else if (arg === "--jobs") options.jobs = count(20);
    else if (arg === "--seed") options.seed = count(0);
    else if (arg === "--no-peer") options.peer = false;
    else if (arg === "--keep") options.keep = true;
    else if (arg === "-h" || arg === "--help") {
      process.stdout.write(
        "usage: node bench/run.mjs [--runs N] [--warmup N] [--jobs N] [--seed N] [--no-peer] [--keep]\n",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Statistics.

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p90 = sorted[Math.min(n - 1, Math.ceil(0.9 * n) - 1)];
  return { runs: n, min: sorted[0], median, p90 };
}

const ms = (value) => (value === undefined ? "-" : value.toFixed(1));

// ---------------------------------------------------------------------------------------------
// Tools as processes.

/**
 * Runs a tool to completion and times it. Its stdout goes to a file, not a pipe: a process that
 * calls process.exit() (gitlab-ci-local does) can lose the tail of a large output written to a
 * pipe, and a file is what `tool > out.json` gives a user anyway. The same for both tools.
 */
function runProcess(command, args, cwd, env = process.env) {
  const outFile = join(scratch(), "stdout");
  const fd = openSync(outFile, "w");
  let result;
  const start = performance.now();
  try {
    result = spawnSync(command, args, {
      cwd,
      env,
      encoding: "utf8",
      maxBuffer: 64 << 20,
      stdio: ["ignore", fd, "pipe"],
    });
  } finally {
    closeSync(fd);
  }
  const elapsed = performance.now() - start;
  return { elapsed, ...result, stdout: readFileSync(outFile, "utf8") };
}

let scratchDir;
function scratch() {
  scratchDir ??= mkdtempSync(join(tmpdir(), "conveyor-bench-out-"));
  return scratchDir;
}

function describeFailure(what, result) {
  if (result.error) return `${what}: ${result.error.message}`;
  const output = (result.stderr || result.stdout || "").trim();
  const lines = output.split("\n");
  const shown = lines.length > 10 ? [...lines.slice(0, 6), "…", ...lines.slice(-3)] : lines;
  let hint = "";
  if (/ERR_MODULE_NOT_FOUND/.test(output) && output.includes(join(ROOT, "packages"))) {
    hint =
      "\n(the build under packages/*/dist looks incomplete: run `npm run build` and try again)";
  }
  return `${what} exited with ${result.status ?? result.signal}${output ? `:\n${shown.join("\n")}` : ""}${hint}`;
}

function timeProcess(label, options, once) {
  for (let i = 0; i < options.warmup; i++) once();
  const samples = [];
  for (let i = 0; i < options.runs; i++) {
    const result = once();
    samples.push(result.elapsed);
    process.stderr.write(`\r  ${label}: run ${i + 1}/${options.runs}  ${ms(result.elapsed)} ms   `);
  }
  process.stderr.write("\n");
  return samples;
}

// ---------------------------------------------------------------------------------------------
// Conveyor.

function conveyorMissing() {
  const missing = [CLI_BIN, CLI_DIST, PIPELINE_DIST].filter((path) => !existsSync(path));
  if (missing.length === 0) return undefined;
  return `Conveyor is not built (missing ${missing.map((p) => relative(ROOT, p)).join(", ")}); run \`npm run build\` in ${ROOT} (or \`npm run bench\`, which builds first)`;
}

function conveyorProcess(dir, options) {
  const args = [CLI_BIN, "plan", "--json", "--branch", "main"];
  const once = () => runProcess(process.execPath, args, dir);
  const first = once();
  const plan = parsePlan(first, "conveyor plan");
  const samples = timeProcess("conveyor (process)", options, () => {
    const result = once();
    if (result.status !== 0) throw new Error(describeFailure("conveyor plan", result));
    return result;
  });
  return { samples, plan };
}

function parsePlan(result, what) {
  let plan;
  try {
    plan = JSON.parse(result.stdout);
  } catch {
    throw new Error(describeFailure(what, result));
  }
  if (!plan.created || result.status !== 0) {
    const first = plan.errors?.[0];
    const where = first
      ? ` (${first.file}${first.line ? `:${first.line}` : ""}: ${first.message})`
      : "";
    throw new Error(
      `${what}: no pipeline created: ${plan.reason ?? "unknown reason"}${where}; ${plan.errors?.length ?? 0} error(s)`,
    );
  }
  return plan;
}

/** A ConfigSource over the generated directory: local files only, templates from the package. */
function directorySource(root, files) {
  const inside = (base, path) => {
    const full = normalize(join(base, path));
    const rel = relative(base, full);
    return rel.startsWith("..") || isAbsolute(rel) ? undefined : full;
  };
  const read = async (path) => {
    if (!path) return undefined;
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if (error.code === "ENOENT" || error.code === "EISDIR") return undefined;
      throw error;
    }
  };
  const refuse = (what) => async (address) => {
    throw new Error(`${what} (${address}) is not available in the benchmark`);
  };
  return {
    readLocal: (path) => read(inside(root, path.replace(/^\/+/, ""))),
    listLocal: async () => files,
    readProject: refuse("include:project"),
    readTemplate: (name) => read(inside(TEMPLATES, name)),
    readRemote: refuse("include:remote"),
    readComponent: refuse("include:component"),
  };
}

function git(dir, args) {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(describeFailure(`git ${args.join(" ")}`, result));
  return result.stdout;
}

async function conveyorInProcess(dir, options) {
  let pipeline;
  try {
    pipeline = await import(pathToFileURL(PIPELINE_DIST).href);
  } catch (error) {
    const hint =
      error?.code === "ERR_MODULE_NOT_FOUND"
        ? "\n(the build under packages/*/dist looks incomplete: run `npm run build` and try again)"
        : "";
    throw new Error(
      `cannot load ${relative(ROOT, PIPELINE_DIST)}: ${error?.message ?? error}${hint}`,
    );
  }
  const { buildEvent, loadPipeline, planLoaded } = pipeline;
  for (const [name, fn] of Object.entries({ buildEvent, loadPipeline, planLoaded })) {
    if (typeof fn !== "function")
      throw new Error(`${relative(ROOT, PIPELINE_DIST)} does not export ${name}`);
  }
  // What the CLI learns from git, learnt once here: the in-process number is the library's.
  const files = git(dir, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    .split("\0")
    .filter(Boolean);
  const [sha, name, email, timestamp, ...message] = git(dir, [
    "log",
    "-1",
    "--format=%H%x00%an%x00%ae%x00%aI%x00%B",
  ]).split("\0");
  const spec = {
    branch: "main",
    defaultBranch: "main",
    files,
    project: "bench/monorepo",
    serverUrl: "https://gitlab.example.test",
    sha,
    commitAuthor: { name, email },
    commitTimestamp: timestamp,
    commitMessage: message.join("\0").trim(),
  };
  const source = directorySource(dir, files);
  const once = async () => {
    const start = performance.now();
    const event = buildEvent(spec);
    const text = await readFile(join(dir, ".gitlab-ci.yml"), "utf8");
    const loaded = await loadPipeline(text, { file: ".gitlab-ci.yml", source, event });
    const plan = planLoaded(loaded, event);
    return { elapsed: performance.now() - start, plan };
  };
  const first = await once();
  if (!first.plan.created) {
    const error = first.plan.errors?.[0];
    throw new Error(
      `in-process plan: no pipeline created: ${first.plan.reason ?? "unknown"}${error ? ` (${error.file}:${error.line ?? "?"}: ${error.message})` : ""}`,
    );
  }
  for (let i = 0; i < options.warmup; i++) await once();
  const samples = [];
  for (let i = 0; i < options.runs; i++) {
    const { elapsed } = await once();
    samples.push(elapsed);
  }
  log(`  conveyor (in-process): ${options.runs} runs done`);
  return { samples, plan: first.plan };
}

// ---------------------------------------------------------------------------------------------
// The peer: gitlab-ci-local on Node 22, both from the npm registry, cached in bench/.peer/.

function peerPaths() {
  const modules = join(PEER_DIR, "node_modules");
  const entry = join(modules, "gitlab-ci-local", "dist", "index.js");
  const nodes = [
    join(modules, "node", "bin", "node"),
    join(modules, ".bin", "node"),
    join(
      modules,
      "node",
      "node_modules",
      `node-${process.platform}-${process.arch}`,
      "bin",
      "node",
    ),
    join(modules, `node-${process.platform}-${process.arch}`, "bin", "node"),
  ];
  return { modules, entry, nodes };
}

function findPeer() {
  const { modules, entry, nodes } = peerPaths();
  let version;
  try {
    version = JSON.parse(
      readFileSync(join(modules, "gitlab-ci-local", "package.json"), "utf8"),
    ).version;
  } catch {
    return { reason: "gitlab-ci-local is not installed" };
  }
  if (version !== PEER_VERSION)
    return { reason: `gitlab-ci-local ${version} is installed, not ${PEER_VERSION}` };
  if (!existsSync(entry)) return { reason: `${entry} is missing` };
  for (const node of nodes) {
    if (!existsSync(node)) continue;
    const result = spawnSync(node, ["--version"], { encoding: "utf8" });
    const major = Number(/^v(\d+)/.exec(result.stdout ?? "")?.[1]);
    if (result.status === 0 && major >= PEER_NODE_MAJOR) {
      return { node, nodeVersion: result.stdout.trim(), entry, version };
    }
  }
  return { reason: `no Node >= ${PEER_NODE_MAJOR} binary under ${modules}` };
}

function installPeer() {
  mkdirSync(PEER_DIR, { recursive: true });
  if (!existsSync(join(PEER_DIR, "package.json"))) {
    writeFileSync(
      join(PEER_DIR, "package.json"),
      `${JSON.stringify({ private: true }, null, 2)}\n`,
    );
  }
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = [
    "install",
    "--prefix",
    PEER_DIR,
    "--save-exact",
    "--no-audit",
    "--no-fund",
    `gitlab-ci-local@${PEER_VERSION}`,
    `node@${PEER_NODE_MAJOR}`,
  ];
  log(`  installing the peer: ${npm} ${args.join(" ")}`);
  const result = spawnSync(npm, args, {
    cwd: BENCH,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0 || result.error) return describeFailure("npm install", result);
  return undefined;
}

function ensurePeer() {
  let peer = findPeer();
  if (peer.node) return peer;
  log(`  peer not ready (${peer.reason})`);
  const failure = installPeer();
  peer = findPeer();
  if (peer.node) return peer;
  return { reason: failure ?? peer.reason };
}

function peerRun(peer, dir, home) {
  // `--cwd` must be relative for gitlab-ci-local, so the process runs in the repository.
  // rules:changes is not evaluated (it would diff against origin/main): with no diff base GitLab
  // takes `changes` as true, as Conveyor does when it is given no changed paths.
  const args = [
    peer.entry,
    "--list-json",
    "--cwd",
    ".",
    "--home",
    home,
    "--no-evaluate-rule-changes",
    "--no-color",
  ];
  const env = { ...process.env, HOME: home, NO_COLOR: "1", FORCE_COLOR: "0" };
  return runProcess(peer.node, args, dir, env);
}

function peerBench(peer, dir, options) {
  const home = mkdtempSync(join(tmpdir(), "conveyor-bench-peer-home-"));
  try {
    const first = peerRun(peer, dir, home);
    if (first.status !== 0) throw new Error(describeFailure("gitlab-ci-local --list-json", first));
    let listed;
    try {
      listed = JSON.parse(first.stdout);
    } catch {
      throw new Error(describeFailure("gitlab-ci-local --list-json (unparseable output)", first));
    }
    const samples = timeProcess("gitlab-ci-local", options, () => {
      const result = peerRun(peer, dir, home);
      if (result.status !== 0)
        throw new Error(describeFailure("gitlab-ci-local --list-json", result));
      return result;
    });
    return { samples, listed };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Compares the jobs two tools planned by name, stage, `when` and `allow_failure`. The peer names
 * parallel instances `job: [1/3]` and matrix instances `job: [a,b]`; GitLab (and Conveyor) say
 * `job 1/3` and `job: [a, b]`.
 */
function compareJobs(conveyorJobs, peerJobs) {
  const peerName = (name) =>
    name
      .replace(/: \[(\d+)\/(\d+)\]$/, " $1/$2")
      .replace(/: \[(.*)\]$/, (_, values) => `: [${values.split(",").join(", ")}]`);
  const ours = new Map(conveyorJobs.map((job) => [job.name, job]));
  const theirs = new Map(peerJobs.map((job) => [peerName(job.name), job]));
  const onlyOurs = [...ours.keys()].filter((name) => !theirs.has(name));
  const onlyTheirs = [...theirs.keys()].filter((name) => !ours.has(name));
  const differ = [];
  for (const [name, job] of ours) {
    const other = theirs.get(name);
    if (!other) continue;
    const a = `${job.stage}/${job.when}/${job.allow_failure}`;
    const b = `${other.stage}/${other.when}/${other.allow_failure}`;
    if (a !== b) differ.push(`${name} (conveyor ${a}, gitlab-ci-local ${b})`);
  }
  if (onlyOurs.length + onlyTheirs.length + differ.length === 0) {
    return {
      same: true,
      line: `agreement: both tools planned the same ${ours.size} jobs (name, stage, when, allow_failure)`,
    };
  }
  const sample = (list) => list.slice(0, 5).join(", ") + (list.length > 5 ? ", …" : "");
  const parts = [];
  if (onlyOurs.length > 0)
    parts.push(`${onlyOurs.length} only in conveyor's plan (${sample(onlyOurs)})`);
  if (onlyTheirs.length > 0)
    parts.push(`${onlyTheirs.length} only in gitlab-ci-local's (${sample(onlyTheirs)})`);
  if (differ.length > 0) parts.push(`${differ.length} planned differently (${sample(differ)})`);
  return { same: false, line: `agreement: the plans differ: ${parts.join("; ")}` };
}

/** The line of an error message that says what went wrong (plus a hint line, if any). */
function headline(message) {
  const lines = message.split("\n").map((line) => line.trim());
  const what =
    lines.find((line) =>
      /^(\w*Error\b|Error \[|error:|npm error (?!code|syscall|errno))/.test(line),
    ) ??
    lines.find((line) => line.length > 0 && !line.endsWith(":")) ??
    lines[0];
  const hint = lines.find((line) => line.startsWith("(") && line !== what);
  return [lines[0], what === lines[0] ? undefined : what, hint].filter(Boolean).join(" ");
}

function table(rows) {
  const head = ["tool", "runs", "min", "median", "p90 (ms)", "jobs planned", "vs conveyor"];
  const body = rows.map((r) => [
    r.tool,
    r.runs === undefined ? "-" : String(r.runs),
    ms(r.min),
    ms(r.median),
    ms(r.p90),
    r.jobsPlanned === undefined ? "-" : String(r.jobsPlanned),
    r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const crashes = [];
  const notes = [];

  log(`generating a ${options.jobs}-job pipeline…`);
  const repo = writeRepository({
    jobs: options.jobs,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const { summary } = repo;
  log(
    `  ${repo.dir}: ${summary.instances} job instances (${summary.definedJobs} job definitions, ${summary.parallelJobs} parallel: N, ${summary.matrixJobs} parallel: matrix) in ${summary.files} files; ${summary.expectedOnMain} expected in a push pipeline of main`,
  );

  const rows = [];
  let conveyorJobs;
  let peerJobs;
  const counts = { generated: summary.instances, expectedOnMain: summary.expectedOnMain };

  const missing = conveyorMissing();
  if (missing) {
    log(`conveyor: ${missing}`);
    crashes.push(missing);
    rows.push({ tool: "conveyor (process)", error: missing });
    rows.push({ tool: "conveyor (in-process)", error: missing });
  } else {
    log(`conveyor (process): ${options.warmup} warm-up + ${options.runs} runs…`);
    try {
      const { samples, plan } = conveyorProcess(repo.dir, options);
      counts.conveyorProcess = plan.jobs.length;
      conveyorJobs = plan.jobs;
      rows.push({
        tool: "conveyor (process)",
        ...stats(samples),
        jobsPlanned: plan.jobs.length,
        samples,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  conveyor (process) failed: ${message}`);
      crashes.push(message);
      rows.push({ tool: "conveyor (process)", error: message });
    }
    log(`conveyor (in-process): ${options.warmup} warm-up + ${options.runs} runs…`);
    try {
      const { samples, plan } = await conveyorInProcess(repo.dir, options);
      counts.conveyorInProcess = plan.jobs.length;
      rows.push({
        tool: "conveyor (in-process)",
        ...stats(samples),
        jobsPlanned: plan.jobs.length,
        samples,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  conveyor (in-process) failed: ${message}`);
      crashes.push(message);
      rows.push({ tool: "conveyor (in-process)", error: message });
    }
  }

  let peerInfo;
  if (!options.peer) {
    notes.push("peer skipped (--no-peer)");
  } else {
    log("gitlab-ci-local: checking bench/.peer…");
    const peer = ensurePeer();
    if (!peer.node) {
      const why = `the peer (gitlab-ci-local ${PEER_VERSION} on Node ${PEER_NODE_MAJOR}) could not be installed: ${peer.reason}`;
      log(`  ${why}`);
      notes.push(why);
      rows.push({ tool: `gitlab-ci-local ${PEER_VERSION}`, error: why });
    } else {
      peerInfo = { version: peer.version, node: peer.nodeVersion };
      log(
        `gitlab-ci-local ${peer.version} on Node ${peer.nodeVersion}: ${options.warmup} warm-up + ${options.runs} runs…`,
      );
      try {
        const { samples, listed } = peerBench(peer, repo.dir, options);
        const active = listed.filter((job) => job.when !== "never");
        counts.peerListed = listed.length;
        counts.peerPlanned = active.length;
        peerJobs = active;
        rows.push({
          tool: `gitlab-ci-local ${PEER_VERSION}`,
          ...stats(samples),
          jobsPlanned: active.length,
          samples,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  gitlab-ci-local failed: ${message}`);
        crashes.push(message);
        rows.push({ tool: `gitlab-ci-local ${PEER_VERSION}`, error: message });
      }
    }
  }

  const base = rows.find((r) => r.tool === "conveyor (process)" && r.median !== undefined);
  for (const row of rows)
    if (base && row.median !== undefined) row.ratio = row.median / base.median;
  const peerRow = rows.find((r) => r.tool.startsWith("gitlab-ci-local") && r.median !== undefined);
  const ratio = base && peerRow ? peerRow.median / base.median : undefined;

  // Report.
  const out = [];
  out.push("");
  out.push(
    `Planning a ${summary.instances}-job pipeline (${summary.files} files, seed ${summary.seed}) — push to main; ${options.runs} runs after ${options.warmup} warm-ups`,
  );
  out.push(
    `node ${process.version} (conveyor)${peerInfo ? `, node ${peerInfo.node} (gitlab-ci-local)` : ""}; ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
  );
  out.push("");
  out.push(table(rows));
  for (const row of rows) if (row.error) out.push(`  ${row.tool}: ${headline(row.error)}`);
  out.push("");
  if (ratio !== undefined)
    out.push(
      `peer/conveyor median ratio: ${ratio.toFixed(2)}x (gitlab-ci-local / conveyor as a process)`,
    );
  const jobLine = [
    `generated ${counts.generated} job instances`,
    `${counts.expectedOnMain} expected on main`,
  ];
  if (counts.conveyorProcess !== undefined)
    jobLine.push(`conveyor planned ${counts.conveyorProcess}`);
  if (
    counts.conveyorInProcess !== undefined &&
    counts.conveyorInProcess !== counts.conveyorProcess
  ) {
    jobLine.push(`conveyor in-process planned ${counts.conveyorInProcess}`);
  }
  if (counts.peerListed !== undefined) {
    jobLine.push(
      `gitlab-ci-local listed ${counts.peerListed} (${counts.peerPlanned} not when:never)`,
    );
  }
  out.push(`jobs: ${jobLine.join("; ")}`);
  const planned = [counts.conveyorProcess, counts.conveyorInProcess, counts.peerPlanned].filter(
    (n) => n !== undefined,
  );
  if (new Set(planned).size > 1) {
    const differ = `job counts differ: conveyor ${counts.conveyorProcess ?? "-"} vs gitlab-ci-local ${counts.peerPlanned ?? "-"} (expected ${counts.expectedOnMain})`;
    out.push(`NOTE: ${differ}`);
    notes.push(differ);
  }
  if (conveyorJobs && peerJobs) {
    const agreement = compareJobs(conveyorJobs, peerJobs);
    out.push(agreement.line);
    if (!agreement.same) notes.push(agreement.line);
  }
  let verdict;
  if (base) {
    verdict = base.median < TARGET_MS ? "PASS" : "MISS";
    out.push(
      `target: conveyor (process) median ${ms(base.median)} ms < ${TARGET_MS} ms: ${verdict}`,
    );
  } else {
    out.push(`target: conveyor (process) median < ${TARGET_MS} ms: no measurement`);
  }
  const shown = new Set(rows.map((row) => row.error));
  for (const note of notes) {
    if (!note.startsWith("job counts differ") && !shown.has(note))
      out.push(`note: ${headline(note)}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);

  mkdirSync(dirname(OUT), { recursive: true });
  const report = {
    benchmark: "plan",
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      platform: `${process.platform}-${process.arch}`,
    },
    node: { conveyor: process.version, peer: peerInfo?.node },
    params: {
      jobs: options.jobs,
      runs: options.runs,
      warmup: options.warmup,
      seed: summary.seed,
      branch: "main",
    },
    pipeline: { ...summary, sha: repo.sha },
    unit: "ms",
    results: rows.map(
      ({ tool, runs, min, median, p90, jobsPlanned, ratio: r, error, samples }) => ({
        tool,
        ...(error
          ? { error }
          : { runs, min, median, p90, jobsPlanned, ratioToConveyor: r, samples }),
      }),
    ),
    ratioPeerToConveyor: ratio,
    jobs: counts,
    target: {
      tool: "conveyor (process)",
      medianBelowMs: TARGET_MS,
      median: base?.median,
      verdict: verdict ?? "none",
    },
    notes,
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${relative(process.cwd(), OUT) || OUT}`);

  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  if (options.keep) log(`kept the generated repository: ${repo.dir}`);
  else rmSync(repo.dir, { recursive: true, force: true });
  return crashes.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    process.exitCode = 1;
  },
);
