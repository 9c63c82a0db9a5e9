/**
 * The run benchmark: the same generated pipelines (bench/run-cases.mjs: one job; 5 stages × 20
 * jobs; a 100-job `needs` DAG) run end to end with the shell executor by
 *
 *   conveyor         `conveyor run --executor shell --concurrency N --branch main --report FILE`
 *                    (through bench/lib/cpu-probe.mjs, which also records Conveyor's own CPU)
 *   gitlab-ci-local  the peer, 4.75.1 on Node 22: `--cwd . --concurrency N`
 *   floor            100 `sh -c 'echo …'` processes spawned one after the other, no tool at all
 *   floor (node)     `node -e ''` with Conveyor's Node: starting Node and nothing else
 *
 * in one invocation, each run from a clean checkout. Every run is checked: the tool exits 0 and
 * reports every job of the pipeline as successful. Prints min/median wall times per case, the
 * ratios peer/conveyor and conveyor/floor, Conveyor's own CPU time per job, PASS/MISS against
 * the targets, and writes the same to bench/out/run-bench.json. A peer ratio whose target asks
 * for less time than starting Node and one process per job (see reach) is marked out of reach.
 *
 * Targets (the issue): conveyor at least 10× faster than the peer on every case; the 5 × 20
 * fan-out within 30× of the floor; Conveyor's own CPU under 10 ms per job.
 *
 * Run through bench/run.mjs (`node bench/run.mjs run …`); its flags are in RUN_FLAGS.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CASES, CASE_IDS, writeCase } from "./run-cases.mjs";
import { nodeStartOnce } from "./lib/node-start.mjs";
import { CLI_BIN, CLI_BUNDLES, CLI_LAUNCH, ROOT } from "./lib/paths.mjs";
import {
  PEER_NAME,
  PEER_NODE_MAJOR,
  PEER_VERSION,
  ensurePeer,
  missingCommand,
} from "./lib/peer.mjs";
import {
  describeFailure,
  isolatedEnv,
  removeScratch,
  runProcess,
  scratch,
} from "./lib/processes.mjs";
import { headline, log, machine, ms, seconds, table, times, writeReport } from "./lib/report.mjs";
import { stats } from "./lib/stats.mjs";
import { timeRuns } from "./lib/timing.mjs";

const inSeconds = (elapsed) => `${seconds(elapsed)} s`;
const CPU_PROBE = fileURLToPath(new URL("./lib/cpu-probe.mjs", import.meta.url));
const FLOOR_PROCESSES = 100;
/** Conveyor's own default (the CPU count, at least 2), given to both tools explicitly. */
const DEFAULT_CONCURRENCY = Math.max(2, availableParallelism());
const TARGETS = { peerOverConveyor: 10, conveyorOverFloor: 30, cpuMsPerJob: 10 };
/** The case whose conveyor/floor ratio has a target (the issue's 5 × 20 fan-out). */
const FLOOR_CASE = "fanout";
/** The case the peer takes minutes on: it gets its own, smaller, number of runs. */
const SLOW_PEER_CASE = "fanout";

/** The flags of the run benchmark (see lib/args.mjs). */
export const RUN_FLAGS = {
  runs: { type: "count", min: 1 },
  warmup: { type: "count", min: 0 },
  "peer-runs": { type: "count", min: 1 },
  "peer-fanout-runs": { type: "count", min: 1 },
  concurrency: { type: "count", min: 1 },
  case: { type: "choice", choices: CASE_IDS, repeat: true },
  timeout: { type: "count", min: 1 },
  "no-peer": { type: "flag" },
  keep: { type: "flag" },
};

export const RUN_USAGE = [
  "run:  --runs N (5; conveyor and floor)  --warmup N (1)  --peer-runs N (3)",
  "      --peer-fanout-runs N (1; the peer takes minutes there, without a warm-up)",
  `      --concurrency N (${DEFAULT_CONCURRENCY}: the CPU count, at least 2; the same for both tools)`,
  `      --case ${CASE_IDS.join("|")} (repeatable; default all)  --timeout SECONDS (900, per process)`,
  "      --no-peer  --keep",
];

function runOptions(given) {
  return {
    runs: given.runs ?? 5,
    warmup: given.warmup ?? 1,
    peerRuns: given.peerRuns ?? 3,
    peerFanoutRuns: given.peerFanoutRuns ?? 1,
    concurrency: given.concurrency ?? DEFAULT_CONCURRENCY,
    cases: given.case ?? CASE_IDS,
    timeoutMs: (given.timeout ?? 900) * 1000,
    peer: !given.noPeer,
    keep: given.keep ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// Checking runs.

/** Removes everything git does not track: each run starts from a clean checkout. */
function cleanCheckout(dir) {
  const result = spawnSync("git", ["clean", "-ffdxq"], { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(describeFailure("git clean", result));
}

/** Names in `expected` missing from `got`, and names in `got` not expected. */
function nameDifference(expected, got) {
  const want = new Set(expected);
  const have = new Set(got);
  const sample = (list) => list.slice(0, 4).join(", ") + (list.length > 4 ? ", …" : "");
  const missing = expected.filter((name) => !have.has(name));
  const extra = got.filter((name) => !want.has(name));
  const parts = [];
  if (missing.length > 0) parts.push(`${missing.length} missing (${sample(missing)})`);
  if (extra.length > 0) parts.push(`${extra.length} unexpected (${sample(extra)})`);
  return parts.join("; ");
}

// ---------------------------------------------------------------------------------------------
// The floor: the same number of processes with no tool around them.

/** One floor sample: FLOOR_PROCESSES `sh -c 'echo …'` spawned back to back, output captured. */
function floorOnce() {
  const start = performance.now();
  for (let i = 1; i <= FLOOR_PROCESSES; i++) {
    const result = spawnSync("sh", ["-c", `echo "job ${i} in stage floor"`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (result.status !== 0 || result.stdout !== `job ${i} in stage floor\n`) {
      throw new Error(describeFailure(`floor: sh -c echo (process ${i})`, result));
    }
  }
  return { elapsed: performance.now() - start };
}

/** A floor's row: `once` timed like the tools, or the reason it failed. */
async function measureFloorRow(label, once, options) {
  log(`${label}: ${options.warmup} warm-up + ${options.runs} runs…`);
  try {
    const { samples } = await timeRuns(label, options, async () => once(), inSeconds);
    return { tool: label, ok: true, ...stats(samples), samples };
  } catch (error) {
    return failedRow(label, error);
  }
}

// The other floor: Node starting and exiting (lib/node-start.mjs). The one-job case cannot go
// below it.
const measureNodeStart = (options) =>
  measureFloorRow("floor (node start)", () => nodeStartOnce(), options);
const measureFloor = (options) =>
  measureFloorRow(`floor (${FLOOR_PROCESSES} × sh -c echo)`, floorOnce, options);

// ---------------------------------------------------------------------------------------------
// Conveyor.

/** Undefined when `conveyor run` can be used, else why not; { reason, broken } */
async function conveyorAvailability() {
  const missing = [CLI_BIN, CLI_LAUNCH, CLI_BUNDLES].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    return {
      broken: true,
      reason: `Conveyor is not built (missing ${missing.map((p) => relative(ROOT, p)).join(", ")}); run \`npm run build\` (or \`npm run bench\`, which builds first)`,
    };
  }
  const help = await runProcess(process.execPath, [CLI_BIN, "run", "--help"], {
    cwd: ROOT,
    timeoutMs: 60_000,
  });
  if (help.status === 0) return undefined;
  const said = (help.stderr || help.stdout).trim().split("\n")[0];
  return {
    broken: false,
    reason: `\`conveyor run --help\` exited with ${help.status ?? help.signal}${said ? `: ${said}` : ""}`,
  };
}

/** Checks a `--report` file: overall success and every expected job there with "success". */
function checkConveyorReport(file, testCase) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return `no readable --report file (${error.code ?? error.message})`;
  }
  const jobs = Array.isArray(report.jobs) ? report.jobs : [];
  const difference = nameDifference(
    testCase.jobs.map((job) => job.name),
    jobs.map((job) => job.name),
  );
  if (difference) return `the report's jobs differ from the pipeline's: ${difference}`;
  const notSuccess = jobs.filter((job) => job.status !== "success");
  if (notSuccess.length > 0) {
    const shown = notSuccess.slice(0, 4).map((job) => `${job.name}: ${job.status}`);
    return `${notSuccess.length} job(s) did not succeed (${shown.join(", ")})`;
  }
  if (report.status !== "success") return `the report's status is ${report.status}`;
  return undefined;
}

async function conveyorOnce(testCase, repo, env, options) {
  cleanCheckout(repo.dir);
  const files = join(scratch(), `conveyor-${testCase.id}`);
  mkdirSync(files, { recursive: true });
  const reportFile = join(files, "report.json");
  const cpuFile = join(files, "cpu.json");
  rmSync(reportFile, { force: true });
  rmSync(cpuFile, { force: true });
  const args = [
    CPU_PROBE,
    "run",
    "--executor",
    "shell",
    "--concurrency",
    String(options.concurrency),
    "--branch",
    "main",
    "--report",
    reportFile,
  ];
  const result = await runProcess(process.execPath, args, {
    cwd: repo.dir,
    env: { ...env, CONVEYOR_BENCH_CPU_FILE: cpuFile },
    timeoutMs: options.timeoutMs,
  });
  if (result.status !== 0) throw new Error(describeFailure("conveyor run", result));
  const wrong = checkConveyorReport(reportFile, testCase);
  if (wrong) throw new Error(`conveyor run: ${wrong}`);
  let cpuMs;
  try {
    const cpu = JSON.parse(readFileSync(cpuFile, "utf8"));
    cpuMs = (cpu.userUs + cpu.systemUs) / 1000;
  } catch {
    cpuMs = undefined;
  }
  return { elapsed: result.elapsed, cpuMs };
}

async function conveyorRow(testCase, repo, env, options) {
  const label = "conveyor";
  log(`conveyor: ${options.warmup} warm-up + ${options.runs} runs…`);
  try {
    const { samples, results: extras } = await timeRuns(
      label,
      options,
      () => conveyorOnce(testCase, repo, env, options),
      inSeconds,
    );
    const cpu = extras.map((run) => run.cpuMs).filter((value) => value !== undefined);
    const cpuMs = cpu.length === extras.length ? stats(cpu).median : undefined;
    return {
      tool: label,
      ok: true,
      ...stats(samples),
      samples,
      cpuMsSamples: cpu,
      cpuMs,
      cpuMsPerJob: cpuMs === undefined ? undefined : cpuMs / testCase.jobs.length,
    };
  } catch (error) {
    return failedRow(label, error);
  }
}

// ---------------------------------------------------------------------------------------------
// The peer.

/** The job names the peer's summary lists as passed and as failed (` PASS  name`). */
function peerSummary(stdout) {
  const passed = [];
  const failed = [];
  for (const line of stdout.split("\n")) {
    const match = /^\s*(PASS|FAIL|WARN)\s+(\S.*?)\s*$/.exec(line);
    if (!match) continue;
    (match[1] === "PASS" ? passed : failed).push(match[2]);
  }
  return { passed, failed };
}

async function peerOnce(peer, testCase, repo, home, env, options) {
  cleanCheckout(repo.dir);
  const args = [
    peer.entry,
    "--cwd",
    ".",
    "--home",
    home,
    "--no-color",
    "--concurrency",
    String(options.concurrency),
  ];
  const result = await runProcess(peer.node, args, {
    cwd: repo.dir,
    env,
    timeoutMs: options.timeoutMs,
  });
  if (result.status !== 0) throw new Error(describeFailure("gitlab-ci-local", result));
  const { passed, failed } = peerSummary(result.stdout);
  if (failed.length > 0) {
    throw new Error(`gitlab-ci-local: ${failed.length} job(s) did not pass (${failed[0]}, …)`);
  }
  const difference = nameDifference(
    testCase.jobs.map((job) => job.name),
    passed,
  );
  if (difference) throw new Error(`gitlab-ci-local: the jobs it passed differ: ${difference}`);
  // Its state directory keeps each job's log as .gitlab-ci-local/output/<job>.log.
  const noLog = testCase.jobs.find(
    (job) => !existsSync(join(repo.dir, ".gitlab-ci-local", "output", `${job.name}.log`)),
  );
  if (noLog) throw new Error(`gitlab-ci-local: no .gitlab-ci-local/output/${noLog.name}.log`);
  return { elapsed: result.elapsed };
}

async function peerRow(peer, testCase, repo, home, env, options) {
  const slow = testCase.id === SLOW_PEER_CASE;
  const plan = slow
    ? { warmup: 0, runs: options.peerFanoutRuns }
    : { warmup: options.warmup, runs: options.peerRuns };
  log(
    `${PEER_NAME}: ${plan.warmup} warm-up + ${plan.runs} run(s)…${slow ? " (this case takes the peer minutes)" : ""}`,
  );
  try {
    const { samples } = await timeRuns(
      "gitlab-ci-local",
      plan,
      () => peerOnce(peer, testCase, repo, home, env, options),
      inSeconds,
    );
    return { tool: PEER_NAME, ok: true, ...stats(samples), samples };
  } catch (error) {
    return failedRow(PEER_NAME, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

function failedRow(tool, error) {
  const message = error instanceof Error ? error.message : String(error);
  log(`  ${tool} failed: ${message}`);
  return { tool, ok: false, error: message };
}

const jobCount = (n) => `${n} job${n === 1 ? "" : "s"}`;
const verdict = (pass) => (pass ? "PASS" : "MISS");

/**
 * Whether the peer ratio's target can be met at all here: the time it asks of Conveyor (the
 * peer's median over the target ratio) against a lower bound of the same work measured in the
 * same run: starting Node once, then one process per job (the floor's time per process), as
 * many at a time as the concurrency allows. A real run also checks out the commit for every
 * job, so the bound is generous; a target below it is out of reach for any tool on Node that
 * starts a process per job.
 */
function reach(testCase, peer, floor, nodeStart, concurrency) {
  const measured = (row) => row?.ok && row.median !== undefined;
  if (!measured(floor) || !measured(nodeStart)) return undefined;
  const perProcess = floor.median / FLOOR_PROCESSES;
  const atATime = Math.min(concurrency, testCase.jobs.length);
  const bound = nodeStart.median + (perProcess * testCase.jobs.length) / atATime;
  const needed = peer.median / TARGETS.peerOverConveyor;
  return { neededMs: needed, boundMs: bound, atATime, reachable: needed > bound };
}

/** The ratios and target verdicts of one case, from its rows and the floors. */
function judge(testCase, conveyor, peer, floor, nodeStart, concurrency) {
  const targets = [];
  const ratios = {};
  const good = (row) => row?.ok && row.median !== undefined;
  if (good(conveyor) && good(peer)) {
    ratios.peerOverConveyor = peer.median / conveyor.median;
    const reachable = reach(testCase, peer, floor, nodeStart, concurrency);
    targets.push({
      target: `peer/conveyor >= ${TARGETS.peerOverConveyor}x`,
      value: times(ratios.peerOverConveyor),
      verdict: verdict(ratios.peerOverConveyor >= TARGETS.peerOverConveyor),
      ...(reachable ? { reach: reachable } : {}),
    });
  }
  if (good(conveyor) && good(floor) && testCase.jobs.length === FLOOR_PROCESSES) {
    ratios.conveyorOverFloor = conveyor.median / floor.median;
    if (testCase.id === FLOOR_CASE) {
      targets.push({
        target: `conveyor/floor <= ${TARGETS.conveyorOverFloor}x`,
        value: times(ratios.conveyorOverFloor),
        verdict: verdict(ratios.conveyorOverFloor <= TARGETS.conveyorOverFloor),
      });
    }
  }
  // The CPU target is per job: with one job, Node's start-up alone is most of it.
  if (good(conveyor) && conveyor.cpuMsPerJob !== undefined && testCase.jobs.length > 1) {
    targets.push({
      target: `conveyor CPU per job < ${TARGETS.cpuMsPerJob} ms`,
      value: `${conveyor.cpuMsPerJob.toFixed(2)} ms`,
      verdict: verdict(conveyor.cpuMsPerJob < TARGETS.cpuMsPerJob),
    });
  }
  return { ratios, targets };
}

function caseTable(rows) {
  const head = ["tool", "runs", "min (s)", "median (s)", "cpu (ms)", "cpu/job (ms)", "result"];
  const body = rows.map((row) => [
    row.tool,
    row.runs === undefined ? "-" : String(row.runs),
    seconds(row.min),
    seconds(row.median),
    row.cpuMs === undefined ? "-" : row.cpuMs.toFixed(1),
    row.cpuMsPerJob === undefined ? "-" : row.cpuMsPerJob.toFixed(2),
    row.skipped ? "not run" : row.ok ? "ok" : "FAILED",
  ]);
  return table(head, body);
}

function summaryTable(results) {
  const head = [
    "case",
    "conveyor (s)",
    "peer (s)",
    "peer/conveyor",
    "floor (s)",
    "conveyor/floor",
    "cpu/job (ms)",
  ];
  const body = results.map(({ testCase, rows, ratios }) => {
    const [conveyor, peer, floor] = ["conveyor", PEER_NAME, "floor"].map((name) =>
      rows.find((row) => row.tool.startsWith(name) && row.ok),
    );
    return [
      testCase.title,
      seconds(conveyor?.median),
      seconds(peer?.median),
      times(ratios.peerOverConveyor),
      seconds(floor?.median),
      times(ratios.conveyorOverFloor),
      conveyor?.cpuMsPerJob === undefined ? "-" : conveyor.cpuMsPerJob.toFixed(2),
    ];
  });
  return table(head, body);
}

/** Conveyor's CPU per extra job: the 100-job cases' CPU less the one-job case's, over 99 jobs. */
function marginalCpu(results) {
  const one = results.find((r) => r.testCase.id === "one")?.rows[0];
  if (!one?.ok || one.cpuMs === undefined) return [];
  return results
    .filter((r) => r.testCase.jobs.length > 1 && r.rows[0]?.ok && r.rows[0].cpuMs !== undefined)
    .map((r) => ({
      case: r.testCase.id,
      msPerJob: (r.rows[0].cpuMs - one.cpuMs) / (r.testCase.jobs.length - 1),
    }));
}

// ---------------------------------------------------------------------------------------------

/** Runs the run benchmark with the flags given (lib/args.mjs); resolves to an exit code. */
export async function runBench(given = {}) {
  const options = runOptions(given);
  const notes = [];
  let broken = false;
  log(`run benchmark: concurrency ${options.concurrency} for both tools`);

  const unavailable = await conveyorAvailability();
  if (unavailable) {
    log(`conveyor: not available (${unavailable.reason})`);
    notes.push(`conveyor not available: ${unavailable.reason}`);
    if (unavailable.broken) broken = true;
  }

  let peer;
  let peerReason;
  if (!options.peer) {
    peerReason = "skipped (--no-peer)";
  } else {
    log("gitlab-ci-local: checking bench/.peer…");
    const found = ensurePeer();
    const noRsync = missingCommand(["rsync"]);
    if (!found.node) {
      peerReason = `${PEER_NAME} on Node ${PEER_NODE_MAJOR} could not be installed: ${found.reason}`;
    } else if (noRsync) {
      // gitlab-ci-local copies the repository into .gitlab-ci-local/builds/ with rsync.
      peerReason = `${PEER_NAME} needs \`${noRsync}\` on PATH to run jobs (e.g. apt-get install ${noRsync})`;
    } else {
      peer = found;
    }
  }
  if (peerReason) {
    log(`gitlab-ci-local: not available (${peerReason})`);
    notes.push(`peer not available: ${peerReason}`);
  }

  const cases = CASES.filter((c) => options.cases.includes(c.id));
  // Measured for every case: it also bounds what the peer ratios can reach (see reach).
  const floor = await measureFloor(options);
  if (floor && !floor.ok) broken = true;
  const nodeStart = await measureNodeStart(options);
  if (!nodeStart.ok) broken = true;

  const results = [];
  const kept = [];
  for (const testCase of cases) {
    log(`\ncase ${testCase.id}: ${testCase.title} (${jobCount(testCase.jobs.length)})`);
    const repo = writeCase(testCase);
    // One empty HOME and TMPDIR per case, the same for both tools.
    const home = mkdtempSync(join(tmpdir(), "conveyor-run-bench-home-"));
    mkdirSync(join(home, "tmp"));
    const env = isolatedEnv(home, { TMPDIR: join(home, "tmp") });
    const rows = [];
    try {
      if (unavailable) {
        rows.push({ tool: "conveyor", ok: false, skipped: true, error: unavailable.reason });
      } else {
        rows.push(await conveyorRow(testCase, repo, env, options));
      }
      if (peer) rows.push(await peerRow(peer, testCase, repo, home, env, options));
      else rows.push({ tool: PEER_NAME, ok: false, skipped: true, error: peerReason });
      if (floor && testCase.jobs.length === FLOOR_PROCESSES) rows.push(floor);
      else if (nodeStart.ok) rows.push(nodeStart);
    } finally {
      rmSync(home, { recursive: true, force: true });
      if (options.keep) kept.push(repo.dir);
      else rmSync(repo.dir, { recursive: true, force: true });
    }
    if (rows.some((row) => !row.ok && !row.skipped)) broken = true;
    const { ratios, targets } = judge(
      testCase,
      rows[0],
      rows[1],
      floor,
      nodeStart,
      options.concurrency,
    );
    results.push({ testCase, sha: repo.sha, rows, ratios, targets });
  }

  // Report.
  const out = [""];
  out.push(
    `Running pipelines with the shell executor — push to main; concurrency ${options.concurrency} for both tools`,
  );
  out.push(
    `node ${process.version} (conveyor)${peer ? `, node ${peer.nodeVersion} (gitlab-ci-local ${peer.version})` : ""}; ${machine().cpus} × ${machine().model ?? "cpu"}`,
  );
  out.push(
    `runs: conveyor ${options.warmup} warm-up + ${options.runs}; peer ${options.warmup} + ${options.peerRuns} (fan-out: ${options.peerFanoutRuns}, no warm-up); floor ${options.warmup} + ${options.runs}`,
  );
  for (const { testCase, rows, targets } of results) {
    out.push("");
    out.push(`${testCase.title} — ${jobCount(testCase.jobs.length)}`);
    out.push(caseTable(rows));
    for (const row of rows) {
      if (row.error)
        out.push(`  ${row.tool}: ${row.skipped ? "not available: " : ""}${headline(row.error)}`);
    }
    for (const t of targets) {
      out.push(`  ${t.target}: ${t.value} ${t.verdict}`);
      if (t.reach && !t.reach.reachable) {
        out.push(
          `    out of reach here: it asks for ${ms(t.reach.neededMs)} ms; starting Node and one process per job, ${t.reach.atATime} at a time, takes ${ms(t.reach.boundMs)} ms`,
        );
      }
    }
  }
  out.push("");
  out.push("Summary");
  out.push(summaryTable(results));
  const marginal = marginalCpu(results);
  for (const m of marginal) {
    out.push(
      `conveyor CPU per extra job (${m.case} less one job, over the other jobs): ${m.msPerJob.toFixed(2)} ms`,
    );
  }
  const allTargets = results.flatMap((r) => r.targets.map((t) => ({ case: r.testCase.id, ...t })));
  const misses = allTargets.filter((t) => t.verdict === "MISS");
  out.push(
    allTargets.length === 0
      ? "targets: nothing to judge (a tool was not available or failed)"
      : `targets: ${allTargets.length - misses.length} of ${allTargets.length} PASS${misses.length > 0 ? `; MISS: ${misses.map((t) => `${t.case} ${t.target}`).join(", ")}` : ""}`,
  );
  for (const note of notes) out.push(`note: ${headline(note)}`);
  process.stdout.write(`${out.join("\n")}\n`);

  writeReport("run-bench.json", {
    benchmark: "run",
    date: new Date().toISOString(),
    machine: machine(),
    node: { conveyor: process.version, peer: peer?.nodeVersion },
    peer: { version: PEER_VERSION, available: Boolean(peer), reason: peerReason },
    conveyor: { available: !unavailable, reason: unavailable?.reason },
    params: {
      executor: "shell",
      branch: "main",
      concurrency: options.concurrency,
      runs: options.runs,
      warmup: options.warmup,
      peerRuns: options.peerRuns,
      peerFanoutRuns: options.peerFanoutRuns,
      timeoutS: options.timeoutMs / 1000,
    },
    unit: "ms",
    targets: TARGETS,
    floor: floor && { processes: FLOOR_PROCESSES, ...floor },
    nodeStart,
    cases: results.map(({ testCase, sha, rows, ratios, targets }) => ({
      id: testCase.id,
      title: testCase.title,
      jobs: testCase.jobs.length,
      sha,
      results: rows.map(
        ({ tool, ok, skipped, error, runs, min, median, p90, samples, ...more }) => ({
          tool,
          ok,
          ...(skipped ? { skipped } : {}),
          ...(error ? { error } : { runs, min, median, p90, samples }),
          ...(more.cpuMs !== undefined
            ? { cpuMs: more.cpuMs, cpuMsPerJob: more.cpuMsPerJob, cpuMsSamples: more.cpuMsSamples }
            : {}),
        }),
      ),
      ratios,
      targets,
    })),
    cpuMsPerExtraJob: marginal,
    notes,
  });

  removeScratch();
  for (const dir of kept) log(`kept the generated repository: ${dir}`);
  return broken ? 1 : 0;
}
