/**
 * The dispatch benchmark: `conveyor server` (a real process, on SQLite and, with --postgres, on
 * PostgreSQL) and a swarm of runners speaking GitLab's runner protocol over HTTP from this
 * process. Three measures (issue 4, "Speed and load"):
 *
 *   latency     50 runners long-poll; a pipeline of one-job stages makes each job pending only
 *               when the one before finished. Latency = the runner has the payload − the job's
 *               `queued_at`. GitLab's runners poll every 3 s (check_interval), so without long
 *               polling a job waits 1.5 s on average and up to 3 s: that is the reference.
 *   throughput  a pipeline of N jobs in one stage on 50 runners that finish each job at once:
 *               jobs created, dispatched and finished per second (pipeline created → finished).
 *   trace       200 jobs running at once, each streaming its log in PATCH chunks: bytes and
 *               requests the server acknowledges per second.
 *
 * The runners here do no work (the job is "done" as soon as it arrives), so what is measured is
 * the server: planning, claiming, payloads, the store, HTTP.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_BIN, ROOT } from "./lib/paths.mjs";
import { log, machine, ms, table, writeReport } from "./lib/report.mjs";
import { writeGitRepository } from "./lib/repository.mjs";

export const DISPATCH_FLAGS = {
  runners: { type: "count", min: 1 },
  "latency-jobs": { type: "count", min: 1 },
  "throughput-jobs": { type: "count", min: 1 },
  "trace-jobs": { type: "count", min: 1 },
  "trace-chunks": { type: "count", min: 1 },
  postgres: { type: "flag" },
};

export const DISPATCH_USAGE = [
  "dispatch: node bench/run.mjs dispatch [--runners N (50)] [--latency-jobs N (200)]",
  "          [--throughput-jobs N (500)] [--trace-jobs N (200)] [--trace-chunks N (40)] [--postgres]",
  "  --postgres also measures on PostgreSQL (scripts/ci/start-postgres.sh starts it)",
];

const ROOT_TOKEN = "glpat-bench-root-token-000000000000";
const REGISTRATION_TOKEN = "GR1348941bench-registration";
const CHUNK = Buffer.alloc(8 * 1024, "conveyor trace line 0123456789\n");
/** GitLab runner's default `check_interval` (seconds): the reference a poll-only server gives. */
const POLL_INTERVAL_S = 3;

function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `conveyor server` in a child process on a free port; resolves with its URL. */
async function startServer(dataDir, database) {
  const args = ["server", "--data", dataDir, "--listen", "127.0.0.1:0"];
  if (database) args.push("--database", database);
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    env: {
      ...process.env,
      CONVEYOR_ROOT_TOKEN: ROOT_TOKEN,
      CONVEYOR_REGISTRATION_TOKEN: REGISTRATION_TOKEN,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const onData = (text) => {
      output += text;
      const match = /conveyor server: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", (text) => (output += text));
    child.on("exit", (code) => reject(new Error(`conveyor server exited (${code}):\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners("exit");
        child.on("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

async function api(url, method, path, body) {
  const response = await fetch(`${url}/api/v4${path}`, {
    method,
    headers: { "PRIVATE-TOKEN": ROOT_TOKEN, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Creates a project and pushes a repository whose pipeline is `ci`; answers the project. */
async function pushPipeline(url, name, ci) {
  const project = await api(url, "POST", "/projects", { name });
  const { dir } = writeGitRepository(new Map([[".gitlab-ci.yml", ci]]), { message: name });
  const remote = new URL(project.http_url_to_repo);
  remote.username = "oauth2";
  remote.password = ROOT_TOKEN;
  await new Promise((resolve, reject) => {
    const git = spawn("git", ["push", "-q", remote.toString(), "HEAD:refs/heads/main"], {
      cwd: dir,
    });
    git.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`git push: ${code}`))));
  });
  rmSync(dir, { recursive: true, force: true });
  return project;
}

async function waitForPipeline(url, projectId) {
  for (;;) {
    const [pipeline] = await api(url, "GET", `/projects/${projectId}/pipelines`);
    if (pipeline && ["success", "failed", "canceled"].includes(pipeline.status)) return pipeline;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function registerRunners(url, count) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${url}/api/v4/runners`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: REGISTRATION_TOKEN, run_untagged: true }),
      });
      return (await response.json()).token;
    }),
  );
}

/**
 * Runners that long-poll until `signal` aborts. For each job they record when its payload
 * arrived, optionally stream `traceChunks` chunks, and report success.
 */
function swarm(url, tokens, { traceChunks = 0, signal, received, traced }) {
  const loop = async (token) => {
    let lastUpdate;
    while (!signal.aborted) {
      let response;
      try {
        response = await fetch(`${url}/api/v4/jobs/request`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token, last_update: lastUpdate, info: { features: {} } }),
          signal,
        });
      } catch {
        return;
      }
      lastUpdate = response.headers.get("x-gitlab-last-update") ?? lastUpdate;
      if (response.status !== 201) {
        await response.arrayBuffer();
        continue;
      }
      const arrived = Date.now();
      const job = await response.json();
      received.push({ id: job.id, arrived });
      const headers = { "JOB-TOKEN": job.token };
      for (let i = 0; i < traceChunks; i++) {
        const start = i * CHUNK.length;
        const patched = await fetch(`${url}/api/v4/jobs/${job.id}/trace`, {
          method: "PATCH",
          headers: { ...headers, "Content-Range": `${start}-${start + CHUNK.length - 1}` },
          body: CHUNK,
        });
        await patched.arrayBuffer();
        if (patched.status !== 202) throw new Error(`trace PATCH answered ${patched.status}`);
        traced.bytes += CHUNK.length;
        traced.requests += 1;
      }
      const done = await fetch(`${url}/api/v4/jobs/${job.id}`, {
        method: "PUT",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ token: job.token, state: "success", exit_code: 0 }),
      });
      await done.arrayBuffer();
    }
  };
  return Promise.all(tokens.map(loop));
}

/** Runs `scenario` with runners polling, then stops them. */
async function withSwarm(url, tokens, options, scenario) {
  const stop = new globalThis.AbortController();
  const state = { received: [], traced: { bytes: 0, requests: 0 } };
  const running = swarm(url, tokens, { ...options, signal: stop.signal, ...state });
  // Every runner has asked once and learnt the queue version: from now on they are held.
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    return await scenario(state);
  } finally {
    stop.abort();
    await running;
  }
}

async function latencyOf(url, tokens, jobs) {
  const ci = Array.from({ length: jobs }, (_, i) => `j${i}:\n  stage: s${i}\n  script: [":"]\n`);
  const stages = `stages: [${Array.from({ length: jobs }, (_, i) => `s${i}`).join(", ")}]\n`;
  return withSwarm(url, tokens, {}, async ({ received }) => {
    const project = await pushPipeline(url, "latency", stages + ci.join(""));
    const pipeline = await waitForPipeline(url, project.id);
    const listed = await allJobs(url, project.id, pipeline.id);
    const queued = new Map(listed.map((job) => [job.id, Date.parse(job.queued_at)]));
    const samples = received.map(({ id, arrived }) => arrived - queued.get(id));
    return {
      status: pipeline.status,
      jobs: samples.length,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: Math.max(...samples),
    };
  });
}

async function allJobs(url, projectId, pipelineId) {
  const out = [];
  for (let page = 1; ; page++) {
    const batch = await api(
      url,
      "GET",
      `/projects/${projectId}/pipelines/${pipelineId}/jobs?per_page=100&page=${page}`,
    );
    out.push(...batch);
    if (batch.length < 100) return out;
  }
}

async function throughputOf(url, tokens, jobs) {
  const ci = Array.from({ length: jobs }, (_, i) => `j${i}:\n  script: [":"]\n`).join("");
  return withSwarm(url, tokens, {}, async () => {
    const started = Date.now();
    const project = await pushPipeline(url, "throughput", ci);
    const pipeline = await waitForPipeline(url, project.id);
    const seconds = (Date.now() - started) / 1000;
    return { status: pipeline.status, jobs, seconds, perSecond: jobs / seconds };
  });
}

async function traceOf(url, jobs, chunks) {
  const tokens = await registerRunners(url, jobs);
  const ci = Array.from({ length: jobs }, (_, i) => `t${i}:\n  script: [":"]\n`).join("");
  return withSwarm(url, tokens, { traceChunks: chunks }, async ({ traced }) => {
    const started = Date.now();
    const project = await pushPipeline(url, "trace", ci);
    const pipeline = await waitForPipeline(url, project.id);
    const seconds = (Date.now() - started) / 1000;
    return {
      status: pipeline.status,
      jobs,
      mebibytes: traced.bytes / 2 ** 20,
      requests: traced.requests,
      seconds,
      mibPerSecond: traced.bytes / 2 ** 20 / seconds,
      patchesPerSecond: traced.requests / seconds,
    };
  });
}

function postgresTarget() {
  const url = execFileSync(join(ROOT, "scripts/ci/start-postgres.sh"), { encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1);
  const schema = `conveyor_bench_${Date.now()}`;
  execFileSync("psql", [url, "-q", "-c", `CREATE SCHEMA ${schema}`]);
  const target = new URL(url);
  target.searchParams.set("options", `-c search_path=${schema}`);
  return {
    target: target.toString(),
    drop: () => execFileSync("psql", [url, "-q", "-c", `DROP SCHEMA ${schema} CASCADE`]),
  };
}

export async function dispatchBench(given) {
  const o = {
    runners: 50,
    latencyJobs: 200,
    throughputJobs: 500,
    traceJobs: 200,
    traceChunks: 40,
    ...given,
  };
  const stores = ["sqlite", ...(o.postgres ? ["postgres"] : [])];
  const results = {};
  for (const store of stores) {
    const dataDir = mkdtempSync(join(tmpdir(), "conveyor-bench-server-"));
    const database = store === "postgres" ? postgresTarget() : undefined;
    const server = await startServer(dataDir, database?.target);
    try {
      log(`dispatch (${store}): registering ${o.runners} runners`);
      const tokens = await registerRunners(server.url, o.runners);
      log(`dispatch (${store}): latency, ${o.latencyJobs} one-job stages`);
      const latency = await latencyOf(server.url, tokens, o.latencyJobs);
      log(`dispatch (${store}): throughput, ${o.throughputJobs} jobs`);
      const throughput = await throughputOf(server.url, tokens, o.throughputJobs);
      log(
        `dispatch (${store}): trace ingest, ${o.traceJobs} jobs × ${o.traceChunks} chunks of 8 KiB`,
      );
      const trace = await traceOf(server.url, o.traceJobs, o.traceChunks);
      results[store] = { latency, throughput, trace };
    } finally {
      await server.stop();
      database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  process.stdout.write(
    `Dispatch: conveyor server ${version}, ${o.runners} long-polling runners (loopback)\n\n`,
  );
  const rows = Object.entries(results).map(([store, r]) => [
    store,
    ms(r.latency.p50),
    ms(r.latency.p99),
    `${(POLL_INTERVAL_S * 1000) / 2 / Math.max(r.latency.p50, 0.1) >= 1 ? ((POLL_INTERVAL_S * 500) / Math.max(r.latency.p50, 0.1)).toFixed(0) : "-"}x`,
    r.throughput.perSecond.toFixed(0),
    r.trace.mibPerSecond.toFixed(1),
    r.trace.patchesPerSecond.toFixed(0),
    r.latency.p99 < 50 ? "ok" : "MISS",
  ]);
  process.stdout.write(
    `${table(
      [
        "store",
        "p50 ms",
        "p99 ms",
        "vs 3 s poll (p50)",
        "jobs/s",
        "trace MiB/s",
        "PATCH/s",
        "p99 < 50 ms",
      ],
      rows,
    )}\n`,
  );
  writeReport("dispatch-bench.json", { machine: machine(), options: o, results });
  const broken = Object.values(results).some(
    (r) =>
      r.latency.status !== "success" ||
      r.throughput.status !== "success" ||
      r.trace.status !== "success",
  );
  return broken ? 1 : 0;
}
