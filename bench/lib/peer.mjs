/**
 * The peer, gitlab-ci-local, pinned to one version and run on Node 22, both installed from the
 * npm registry into bench/.peer/ (which git ignores): finding the install, installing it when it
 * is missing or another version, and the commands it needs on PATH.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { BENCH } from "./paths.mjs";
import { describeFailure } from "./processes.mjs";
import { log } from "./report.mjs";

export const PEER_VERSION = "4.75.1";
export const PEER_NODE_MAJOR = 22;
export const PEER_NAME = `gitlab-ci-local ${PEER_VERSION}`;
const PEER_DIR = join(BENCH, ".peer");

function peerPaths() {
  const modules = join(PEER_DIR, "node_modules");
  const entry = join(modules, "gitlab-ci-local", "dist", "index.js");
  const platform = `node-${process.platform}-${process.arch}`;
  const nodes = [
    join(modules, "node", "bin", "node"),
    join(modules, ".bin", "node"),
    join(modules, "node", "node_modules", platform, "bin", "node"),
    join(modules, platform, "bin", "node"),
  ];
  return { modules, entry, nodes };
}

/** The installed peer ({ node, nodeVersion, entry, version }), or { reason } it is not usable. */
export function findPeer() {
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

/** The peer, installed first when needed; { reason } when it cannot be had. */
export function ensurePeer() {
  let peer = findPeer();
  if (peer.node) return peer;
  log(`  peer not ready (${peer.reason})`);
  const failure = installPeer();
  peer = findPeer();
  if (peer.node) return peer;
  return { reason: failure ?? peer.reason };
}

/** The first of `commands` that is not on PATH, for tools the peer shells out to. */
export function missingCommand(commands) {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return commands.find((command) => !dirs.some((dir) => existsSync(join(dir, command))));
}
