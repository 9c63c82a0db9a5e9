/**
 * Finds the third-party peers that compatibility tests run against (the real GitLab runner,
 * python-gitlab). Scripts under scripts/ install them into the git-ignored `.cache/peers/` of
 * the repository; nothing here installs anything.
 *
 * A test that needs a peer passes `requirePeer(...)` as its `skip` option:
 *
 *   const runner = gitlabRunnerBinary();
 *   test("registers", { skip: requirePeer("gitlab-runner", runner) }, () => { ... runner! ... });
 *
 * With CONVEYOR_REQUIRE_PEERS=1 a missing peer throws instead, so the test file fails.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type PeerName = "gitlab-runner" | "python-gitlab";

/** The script (relative to the repository root) that installs each peer. */
export const PEER_SCRIPTS: Readonly<Record<PeerName, string>> = {
  "gitlab-runner": "scripts/gitlab-runner/build.sh",
  "python-gitlab": "scripts/python-gitlab/setup.sh",
};

/** The repository root: this file is packages/server/{src,dist}/testing/peers.{ts,js}. */
export const repoRoot: string = fileURLToPath(new URL("../../../../", import.meta.url));

/** Where the install scripts put the peers. */
export function peersDir(): string {
  return join(repoRoot, ".cache", "peers");
}

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** The built `gitlab-runner` binary, if scripts/gitlab-runner/build.sh has made it. */
export function gitlabRunnerBinary(dir: string = peersDir()): string | undefined {
  return executable(join(dir, "bin", "gitlab-runner"));
}

/** The python of the venv that has python-gitlab, if scripts/python-gitlab/setup.sh has made it. */
export function pythonGitlab(dir: string = peersDir()): string | undefined {
  return executable(join(dir, "python-gitlab", "bin", "python"));
}

/** What scripts/gitlab-runner/VERSION pins: the Go module version and what `--version` prints. */
export interface GitlabRunnerPin {
  module: string;
  version: string;
  revision: string;
}

export function gitlabRunnerPin(): GitlabRunnerPin {
  const text = readFileSync(join(repoRoot, "scripts", "gitlab-runner", "VERSION"), "utf8");
  const field = (key: string): string => {
    const value = new RegExp(`^${key}=(\\S+)$`, "m").exec(text)?.[1];
    if (value === undefined) throw new Error(`scripts/gitlab-runner/VERSION has no ${key}=`);
    return value;
  };
  return { module: field("module"), version: field("version"), revision: field("revision") };
}

/** The python-gitlab version scripts/python-gitlab/setup.sh pins. */
export function pythonGitlabPin(): string {
  const script = readFileSync(join(repoRoot, PEER_SCRIPTS["python-gitlab"]), "utf8");
  const version = /^PYTHON_GITLAB_VERSION=(\S+)$/m.exec(script)?.[1];
  if (version === undefined) throw new Error("setup.sh has no PYTHON_GITLAB_VERSION=");
  return version;
}

/**
 * For node:test's `skip` option: false when the peer is there (`path` is defined), else the
 * reason to skip, naming the script to run. Throws that reason instead when
 * CONVEYOR_REQUIRE_PEERS is `1` (every peer) or a comma-separated list naming this one, so a run
 * that must exercise the peers cannot pass without them.
 */
export function requirePeer(
  name: PeerName,
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): false | string {
  if (path !== undefined) return false;
  const reason = `peer ${name} is not installed: run ${PEER_SCRIPTS[name]}`;
  const required = (env.CONVEYOR_REQUIRE_PEERS ?? "").split(",").map((item) => item.trim());
  if (required.includes("1") || required.includes(name)) {
    throw new Error(`${reason} (CONVEYOR_REQUIRE_PEERS=${env.CONVEYOR_REQUIRE_PEERS})`);
  }
  return reason;
}
