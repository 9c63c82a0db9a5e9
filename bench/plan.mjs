/**
 * The planning benchmark: how long it takes to plan a generated 1,000-job `.gitlab-ci.yml`
 * pipeline (bench/generate.mjs), measured in one run on the same repository for
 *
 *   conveyor (process)     `packages/cli/bin/conveyor plan --json --branch main`, the command
 *                          npm installs, with this benchmark's `node` first on the PATH
 *   conveyor (process, no code cache)   the same with V8's code cache off
 *   conveyor (node conveyor.js)         `node packages/cli/bin/conveyor.js plan …`: the same
 *                          without the command's shell launcher (which keeps
 *                          NODE_EXTRA_CA_CERTS from Node 20's start)
 *   conveyor (in-process)  buildEvent → loadPipeline → planLoaded from packages/pipeline/dist
 *   gitlab-ci-local        the peer, 4.75.1 on Node 22: `--list-json --cwd .`
 *
 * Prints min/median/p90 wall times, the peer/conveyor ratio of medians and the job count each
 * tool planned, and writes the same to bench/out/plan-bench.json. The target for Conveyor as a
 * whole process is a median under 300 ms; PASS/MISS is printed, and the exit code is 0 either
 * way unless a tool crashed or Conveyor's plan was not created.
 *
 * Run through bench/run.mjs (`node bench/run.mjs plan …`); its flags are in PLAN_FLAGS.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, normalize, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { writeRepository } from "./generate.mjs";
import { nodeStartOnce, withoutExtraCaCerts } from "./lib/node-start.mjs";
import { CLI_BIN, CLI_BUNDLES, CLI_COMMAND, CLI_LAUNCH, ROOT } from "./lib/paths.mjs";
import { PEER_NODE_MAJOR, PEER_VERSION, ensurePeer } from "./lib/peer.mjs";
import { describeFailure, isolatedEnv, removeScratch, runProcess } from "./lib/processes.mjs";
import { headline, log, machine, ms, table, writeReport } from "./lib/report.mjs";
import { stats } from "./lib/stats.mjs";
import { timeRuns } from "./lib/timing.mjs";

const PIPELINE_DIST = join(ROOT, "packages/pipeline/dist/index.js");
const TEMPLATES = join(ROOT, "packages/pipeline/templates");
const TARGET_MS = 300;

/** The flags of the planning benchmark (see lib/args.mjs). */
export const PLAN_FLAGS = {
  runs: { type: "count", min: 1 },
  warmup: { type: "count", min: 0 },
  jobs: { type: "count", min: 20 },
  seed: { type: "count", min: 0 },
  "no-peer": { type: "flag" },
  keep: { type: "flag" },
};

export const PLAN_USAGE = [
  "plan: --runs N (15)  --warmup N (2)  --jobs N (1000)  --seed N  --no-peer  --keep",
];

function planOptions(given) {
  return {
    runs: given.runs ?? 15,
    warmup: given.warmup ?? 2,
    jobs: given.jobs ?? 1000,
    seed: given.seed,
    peer: !given.noPeer,
    keep: given.keep ?? false,
  };
}

async function timeProcess(label, options, once) {
  const { samples } = await timeRuns(label, options, once, (elapsed) => `${ms(elapsed)} ms`);
  return samples;
}

// ---------------------------------------------------------------------------------------------
// Conveyor.

function conveyorMissing() {
  const missing = [CLI_COMMAND, CLI_BIN, CLI_LAUNCH, CLI_BUNDLES, PIPELINE_DIST].filter(
    (path) => !existsSync(path),
  );
  if (missing.length === 0) return undefined;
  return `Conveyor is not built (missing ${missing.map((p) => relative(ROOT, p)).join(", ")}); run \`npm run build\` in ${ROOT} (or \`npm run bench\`, which builds first)`;
}

/**
 * `conveyor plan` as a user runs it: the installed command, or with `direct` its Node entry
 * (`node conveyor.js`). With `codeCache`, V8's code cache lives in a folder of the benchmark's
 * own (XDG_CACHE_HOME), which the first, untimed run fills, as a user's first run does; without,
 * the cache is off (NODE_DISABLE_COMPILE_CACHE) and every run compiles.
 */
async function conveyorProcess(dir, options, { codeCache, direct, tool }) {
  const cacheHome = mkdtempSync(join(tmpdir(), "conveyor-bench-cache-"));
  // The command runs the first `node` on the PATH: this one.
  const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`;
  const env = codeCache
    ? { ...process.env, PATH: path, XDG_CACHE_HOME: cacheHome }
    : { ...process.env, PATH: path, NODE_DISABLE_COMPILE_CACHE: "1" };
  const args = ["plan", "--json", "--branch", "main"];
  const once = direct
    ? () => runProcess(process.execPath, [CLI_BIN, ...args], { cwd: dir, env })
    : () => runProcess(CLI_COMMAND, args, { cwd: dir, env });
  try {
    const first = await once();
    const plan = parsePlan(first, "conveyor plan");
    const samples = await timeProcess(tool, options, async () => {
      const result = await once();
      if (result.status !== 0) throw new Error(describeFailure("conveyor plan", result));
      return result;
    });
    return { samples, plan };
  } finally {
    rmSync(cacheHome, { recursive: true, force: true });
  }
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
// The peer: gitlab-ci-local on Node 22 (lib/peer.mjs).

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
  return runProcess(peer.node, args, { cwd: dir, env: isolatedEnv(home) });
}

async function peerBench(peer, dir, options) {
  const home = mkdtempSync(join(tmpdir(), "conveyor-bench-peer-home-"));
  try {
    const first = await peerRun(peer, dir, home);
    if (first.status !== 0) throw new Error(describeFailure("gitlab-ci-local --list-json", first));
    let listed;
    try {
      listed = JSON.parse(first.stdout);
    } catch {
      throw new Error(describeFailure("gitlab-ci-local --list-json (unparseable output)", first));
    }
    const samples = await timeProcess("gitlab-ci-local", options, async () => {
      const result = await peerRun(peer, dir, home);
      if (result.status !== 0)
        throw new Error(describeFailure("gitlab-ci-local --list-json", result));
      return result;
    });
    return { samples, listed };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

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

function planTable(rows) {
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
  return table(head, body);
}

/** Runs the planning benchmark with the flags given (lib/args.mjs); resolves to an exit code. */
export async function planBench(given = {}) {
  const options = planOptions(given);
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
    for (const [tool, codeCache, direct] of [
      ["conveyor (process)", true, false],
      ["conveyor (process, no code cache)", false, false],
      ["conveyor (node conveyor.js)", true, true],
    ]) {
      log(`${tool}: ${options.warmup} warm-up + ${options.runs} runs…`);
      try {
        const { samples, plan } = await conveyorProcess(repo.dir, options, {
          codeCache,
          direct,
          tool,
        });
        if (codeCache && !direct) {
          counts.conveyorProcess = plan.jobs.length;
          conveyorJobs = plan.jobs;
        }
        rows.push({ tool, ...stats(samples), jobsPlanned: plan.jobs.length, samples });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  ${tool} failed: ${message}`);
        crashes.push(message);
        rows.push({ tool, error: message });
      }
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

  // How much of a process's time is Node starting, here (lib/node-start.mjs).
  const nodeStart = {};
  for (const [name, env] of [
    ["asIs", process.env],
    ["withoutExtraCaCerts", withoutExtraCaCerts()],
  ]) {
    if (!env) continue;
    log(`node start (${name}): ${options.warmup} warm-up + ${options.runs} runs…`);
    const { samples } = await timeRuns("node start", options, async () => nodeStartOnce(env), ms);
    nodeStart[name] = { ...stats(samples), samples };
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
        const { samples, listed } = await peerBench(peer, repo.dir, options);
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
  out.push(planTable(rows));
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
  if (nodeStart.asIs) {
    const without = nodeStart.withoutExtraCaCerts;
    out.push(
      `node start here (\`node -e ''\`): ${ms(nodeStart.asIs.median)} ms median` +
        (without
          ? `; ${ms(without.median)} ms without NODE_EXTRA_CA_CERTS, which this environment sets (Node 20 parses that file as every process starts)`
          : ""),
    );
  }
  const shown = new Set(rows.map((row) => row.error));
  for (const note of notes) {
    if (!note.startsWith("job counts differ") && !shown.has(note))
      out.push(`note: ${headline(note)}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);

  const report = {
    benchmark: "plan",
    date: new Date().toISOString(),
    machine: machine(),
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
    nodeStart,
    jobs: counts,
    target: {
      tool: "conveyor (process)",
      medianBelowMs: TARGET_MS,
      median: base?.median,
      verdict: verdict ?? "none",
    },
    notes,
  };
  writeReport("plan-bench.json", report);

  removeScratch();
  if (options.keep) log(`kept the generated repository: ${repo.dir}`);
  else rmSync(repo.dir, { recursive: true, force: true });
  return crashes.length > 0 ? 1 : 0;
}
