import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  gitlabRunnerBinary,
  gitlabRunnerPin,
  pythonGitlab,
  pythonGitlabPin,
  requirePeer,
} from "./peers.js";

const scratch = mkdtempSync(join(tmpdir(), "conveyor-peers-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function place(relative: string, mode: number): string {
  const path = join(scratch, relative);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, mode);
  return path;
}

test("finds executable peers under a peers folder and nothing else", () => {
  assert.equal(gitlabRunnerBinary(scratch), undefined);
  assert.equal(pythonGitlab(scratch), undefined);
  const runner = place("bin/gitlab-runner", 0o644);
  assert.equal(gitlabRunnerBinary(scratch), undefined, "a file without the x bit is no binary");
  chmodSync(runner, 0o755);
  assert.equal(gitlabRunnerBinary(scratch), runner);
  const python = place("python-gitlab/bin/python", 0o755);
  assert.equal(pythonGitlab(scratch), python);
});

test("requirePeer: no skip when present, a reason naming the script when missing", () => {
  assert.equal(requirePeer("gitlab-runner", "/some/gitlab-runner", {}), false);
  assert.equal(
    requirePeer("gitlab-runner", undefined, {}),
    "peer gitlab-runner is not installed: run scripts/gitlab-runner/build.sh",
  );
  assert.equal(
    requirePeer("python-gitlab", undefined, { CONVEYOR_REQUIRE_PEERS: "0" }),
    "peer python-gitlab is not installed: run scripts/python-gitlab/setup.sh",
  );
});

test("requirePeer throws when CONVEYOR_REQUIRE_PEERS=1 and the peer is missing", () => {
  const env = { CONVEYOR_REQUIRE_PEERS: "1" };
  assert.throws(() => requirePeer("python-gitlab", undefined, env), /run scripts\/python-gitlab/);
  assert.equal(requirePeer("python-gitlab", "/venv/bin/python", env), false);
});

test("CONVEYOR_REQUIRE_PEERS may name the peers that must be there", () => {
  const env = { CONVEYOR_REQUIRE_PEERS: "python-gitlab" };
  assert.throws(() => requirePeer("python-gitlab", undefined, env), /python-gitlab/);
  assert.match(String(requirePeer("gitlab-runner", undefined, env)), /scripts\/gitlab-runner/);
});

test("the pins are well formed", () => {
  const pin = gitlabRunnerPin();
  assert.match(pin.module, /^v\d+\.\d+\.\d+/);
  assert.match(pin.revision, /^[0-9a-f]{8}$/);
  assert.ok(pin.module.includes(pin.revision), "the revision is the commit of the pseudo-version");
  assert.match(pythonGitlabPin(), /^\d+\.\d+\.\d+$/);
});

const runner = gitlabRunnerBinary();
test(
  "the built gitlab-runner reports the pinned version",
  { skip: requirePeer("gitlab-runner", runner) },
  () => {
    const out = execFileSync(runner!, ["--version"], { encoding: "utf8" });
    const pin = gitlabRunnerPin();
    assert.equal(/^Version:\s+(\S+)$/m.exec(out)?.[1], pin.version);
    assert.equal(/^Git revision:\s+(\S+)$/m.exec(out)?.[1], pin.revision);
  },
);

const python = pythonGitlab();
test(
  "the python-gitlab venv has the pinned version",
  { skip: requirePeer("python-gitlab", python) },
  () => {
    const out = execFileSync(python!, ["-c", "import gitlab; print(gitlab.__version__)"], {
      encoding: "utf8",
    });
    assert.equal(out.trim(), pythonGitlabPin());
  },
);
