/**
 * A Node.js process (the benchmark's own binary) that starts and exits, doing nothing: what any
 * tool written for Node pays before its first line runs.
 *
 * NODE_EXTRA_CA_CERTS matters here: Node 20 reads and parses that certificate file as every
 * process starts (Node 22 and later wait until TLS is used), so where the environment sets it
 * (this machine's does) every Node process starts that much later.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { describeFailure } from "./processes.mjs";

/** Times one `node -e ''` in `env`. */
export function nodeStartOnce(env = process.env) {
  const start = performance.now();
  const result = spawnSync(process.execPath, ["-e", ""], { stdio: "ignore", env });
  if (result.status !== 0) throw new Error(describeFailure("floor: node -e ''", result));
  return { elapsed: performance.now() - start };
}

/** The environment without NODE_EXTRA_CA_CERTS, or undefined when it does not set it. */
export function withoutExtraCaCerts(env = process.env) {
  if (!env.NODE_EXTRA_CA_CERTS) return undefined;
  const rest = { ...env };
  delete rest.NODE_EXTRA_CA_CERTS;
  return rest;
}
