#!/usr/bin/env node
/**
 * `npm run bench`: Conveyor's benchmarks against the peer, gitlab-ci-local.
 *
 *   plan  planning a generated 1,000-job pipeline (bench/plan.mjs → bench/out/plan-bench.json)
 *   run   running small pipelines with the shell executor (bench/run-pipelines.mjs →
 *         bench/out/run-bench.json)
 *   dispatch  conveyor server with long-polling runners: dispatch latency, throughput, trace
 *         ingest (bench/dispatch.mjs → bench/out/dispatch-bench.json)
 *   deploy  a rolling update of the shoppingapp seed manifests, apply → healthy: Conveyor's deploy
 *         engine vs `kubectl apply` + `kubectl rollout status` (bench/deploy.mjs →
 *         bench/out/deploy-bench.json; needs KUBECONFIG, skipped without)
 *   all   all of them, in that order (the default)
 *
 * usage: node bench/run.mjs [plan|run|all] [flags]   (flags per benchmark: --help)
 * Flags that both benchmarks have (--runs, --warmup, --no-peer, --keep) apply to both under
 * `all`; the others only to their own. The exit code is 1 when either benchmark broke.
 */
import { DEPLOY_FLAGS, DEPLOY_USAGE, deployBench } from "./deploy.mjs";
import { DISPATCH_FLAGS, DISPATCH_USAGE, dispatchBench } from "./dispatch.mjs";
import { parseFlags } from "./lib/args.mjs";
import { PLAN_FLAGS, PLAN_USAGE, planBench } from "./plan.mjs";
import { RUN_FLAGS, RUN_USAGE, runBench } from "./run-pipelines.mjs";

const BENCHES = {
  plan: { flags: PLAN_FLAGS, run: planBench },
  run: { flags: RUN_FLAGS, run: runBench },
  dispatch: { flags: DISPATCH_FLAGS, run: dispatchBench },
  deploy: { flags: DEPLOY_FLAGS, run: deployBench },
};

function usage() {
  return [
    "usage: node bench/run.mjs [plan|run|dispatch|deploy|all] [flags]   (default: all, in that order)",
    "",
    ...PLAN_USAGE,
    ...RUN_USAGE,
    ...DISPATCH_USAGE,
    ...DEPLOY_USAGE,
    "",
    "Under `all`, --runs, --warmup, --no-peer and --keep apply to both benchmarks.",
    "",
  ].join("\n");
}

async function main(argv) {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(usage());
    return 0;
  }
  const selected = ["plan", "run", "dispatch", "deploy", "all"].includes(argv[0]) ? argv[0] : "all";
  const rest = selected === argv[0] ? argv.slice(1) : argv;
  const names = selected === "all" ? ["plan", "run", "dispatch", "deploy"] : [selected];
  const spec = Object.assign({}, ...names.map((name) => BENCHES[name].flags));
  const given = parseFlags(rest, spec);
  let code = 0;
  for (const [i, name] of names.entries()) {
    if (i > 0) process.stdout.write("\n");
    const result = await BENCHES[name].run(given);
    if (result !== 0) code = result;
  }
  return code;
}

main(process.argv.slice(2)).then(
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
