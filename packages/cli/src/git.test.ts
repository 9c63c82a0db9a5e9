import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gitAsync, gitBatch } from "./git.js";
import { inspectRepository } from "./repository.js";
import { git, repository, writeFiles } from "./testing/cli-process.js";

describe("gitBatch", () => {
  test("answers each command as gitAsync answers it alone, in one process", async () => {
    const dir = repository({ "a.txt": "a\n", "sub/b.txt": "b\n" });
    git(dir, "tag", "v1");
    const commands = [
      ["rev-parse", "--show-toplevel"],
      ["ls-files", "-z"],
      ["log", "-1", "--format=%H%x00%an%x00%B"],
      ["rev-parse", "--verify", "-q", "refs/heads/missing"],
      ["remote", "get-url", "origin"],
      ["describe", "--tags", "--exact-match", "HEAD"],
    ];
    const batch = await gitBatch(
      dir,
      commands.map((args) => ({ args })),
    );
    const alone = await Promise.all(commands.map((args) => gitAsync(dir, args)));
    assert.deepEqual(batch, alone);
    assert.equal(batch?.[3], undefined, "a failing command answers undefined");
    assert.equal(batch?.[5], "v1");
  });

  test("runs the later commands in the folder the first one printed", async () => {
    const dir = repository({ "top.txt": "x\n" });
    mkdirSync(join(dir, "deep", "er"), { recursive: true });
    const batch = await gitBatch(
      join(dir, "deep", "er"),
      [{ args: ["rev-parse", "--show-toplevel"] }, { args: ["ls-files"] }],
      { cdToOutput: true },
    );
    assert.deepEqual(batch, [realpathSync(dir), "top.txt"]);
  });

  test("a command with onlyIfFailed runs only when that command failed", async () => {
    const dir = repository({ "a.txt": "a\n" });
    git(dir, "tag", "v2");
    const onBranch = await gitBatch(dir, [
      { args: ["symbolic-ref", "--short", "-q", "HEAD"] },
      { args: ["describe", "--tags", "--exact-match", "HEAD"], onlyIfFailed: 0 },
    ]);
    assert.deepEqual(onBranch, ["main", undefined]);
    git(dir, "checkout", "-q", "--detach");
    const detached = await gitBatch(dir, [
      { args: ["symbolic-ref", "--short", "-q", "HEAD"] },
      { args: ["describe", "--tags", "--exact-match", "HEAD"], onlyIfFailed: 0 },
    ]);
    assert.deepEqual(detached, [undefined, "v2"]);
  });

  test("output that looks like a separator stays part of the answer", async () => {
    const dir = repository({ "a.txt": "a\n" });
    git(dir, "commit", "-q", "--allow-empty", "-m", "0:0 end\n\nbody with 'quotes' and $HOME");
    const [message] = (await gitBatch(dir, [{ args: ["log", "-1", "--format=%B"] }])) ?? [];
    assert.equal(message, "0:0 end\n\nbody with 'quotes' and $HOME");
  });
});

describe("inspectRepository", () => {
  test("reads the same facts as the questions asked one by one", async () => {
    const dir = repository({ ".gitlab-ci.yml": "job: {script: [echo]}\n", "src/x.ts": "x\n" });
    git(dir, "update-ref", "refs/remotes/origin/main", "HEAD");
    git(dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
    writeFiles(dir, { "untracked.txt": "u\n" });
    const facts = await inspectRepository(join(dir, "src"));
    assert.equal(facts.root, realpathSync(dir));
    assert.equal(facts.isGit, true);
    assert.deepEqual([...facts.files].sort(), [".gitlab-ci.yml", "src/x.ts", "untracked.txt"]);
    assert.equal(facts.spec.branch, "main");
    assert.equal(facts.spec.tag, undefined);
    assert.equal(facts.spec.sha, (await gitAsync(dir, ["rev-parse", "HEAD"])) ?? "");
    assert.equal(facts.spec.commitMessage, "initial");
    assert.equal(facts.spec.defaultBranch, "main");
    assert.equal(facts.spec.project, "team/shop");
    assert.equal(facts.spec.serverUrl, "https://gitlab.example.test");
  });

  test("a tag when HEAD is on no branch; the folder itself outside a repository", async () => {
    const dir = repository({ "a.txt": "a\n" });
    git(dir, "tag", "v3");
    git(dir, "checkout", "-q", "--detach");
    const detached = await inspectRepository(dir);
    assert.equal(detached.spec.branch, undefined);
    assert.equal(detached.spec.tag, "v3");

    const plain = mkdtempSync(join(tmpdir(), "conveyor-plain-"));
    writeFiles(plain, { "b.txt": "b\n", "c/d.txt": "d\n" });
    const outside = await inspectRepository(plain);
    assert.equal(outside.isGit, false);
    assert.equal(outside.root, plain);
    assert.deepEqual(outside.files, ["b.txt", "c/d.txt"]);
    assert.equal(outside.spec.sha, undefined);
  });
});
