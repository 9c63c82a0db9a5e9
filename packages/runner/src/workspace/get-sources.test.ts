import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  access,
  chmod,
  cp,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobPayload, JobVariable } from "@conveyor/protocol";
import { resolveJobVariables } from "../script/variables.js";
import { commitFiles, createRepository, git, testPayload } from "../testing/fixtures.js";
import { getSources, remoteOf } from "./get-sources.js";
import { gitSettingsOf } from "./git-settings.js";
import { projectPathOf } from "./project-path.js";

const cpDir = (from: string, to: string) => cp(from, to, { recursive: true });

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

let root: string;
let repo: string;
let shas: string[];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "conveyor-sources-"));
  repo = join(root, "repo");
  shas = [
    await createRepository(repo, { "README.md": "one\n", ".gitignore": "build/\n" }),
    await commitFiles(repo, { "src/a.txt": "two\n" }),
    await commitFiles(repo, { "src/b.txt": "three\n" }),
  ];
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function payloadFor(
  variables: JobVariable[] = [],
  overrides: Partial<JobPayload["git_info"]> = {},
) {
  const payload = testPayload({ repoUrl: repo, sha: shas[2], variables });
  payload.git_info = { ...payload.git_info, ...overrides };
  return payload;
}

async function fetchInto(dir: string, payload: JobPayload, workingTree?: string) {
  const variables = resolveJobVariables({
    payload,
    executorName: "shell",
    buildsDir: root,
    projectDir: dir,
    concurrentId: 0,
    timeoutSeconds: 60,
    runner: { version: "t", arch: "linux/amd64" },
  });
  const log: string[] = [];
  const result = await getSources({
    payload,
    settings: gitSettingsOf(payload, variables),
    projectDir: dir,
    tmpDir: `${dir}.tmp`,
    ...(workingTree ? { workingTree } : {}),
    log: {
      write: (chunk) => log.push(Buffer.from(chunk).toString()),
      info: (t) => log.push(`${t}\n`),
    },
    signal: new AbortController().signal,
  });
  return { result, log: log.join("") };
}

const variable = (key: string, value: string): JobVariable => ({ key, value, public: true });

describe("getSources", () => {
  it("clones the job's commit detached, at GIT_DEPTH", async () => {
    const dir = join(root, "clone", "group", "project");
    const { result, log } = await fetchInto(
      dir,
      payloadFor([variable("GIT_STRATEGY", "clone")], { depth: 1 }),
    );
    assert.deepEqual(result, { ok: true });
    assert.equal(git(dir, "rev-parse", "HEAD"), shas[2]);
    assert.equal(git(dir, "rev-list", "--count", "HEAD"), "1");
    assert.ok(await exists(join(dir, ".git", "shallow")));
    assert.equal(await readFile(join(dir, "src", "b.txt"), "utf8"), "three\n");
    assert.match(log, /Fetching changes with git depth set to 1\.\.\./);
    assert.match(log, /Created fresh repository\./);
    assert.ok(
      log.includes(`Checking out ${shas[2]!.slice(0, 8)} as detached HEAD (ref is main)...`),
    );
    assert.match(log, /Skipping Git submodules setup/);
    assert.equal(git(dir, "rev-parse", "--abbrev-ref", "HEAD"), "HEAD", "detached");
  });

  it("fetches all history with depth 0, unshallowing an earlier shallow fetch", async () => {
    const dir = join(root, "deep");
    await fetchInto(dir, payloadFor([], { depth: 1 }));
    assert.equal(git(dir, "rev-list", "--count", "HEAD"), "1");
    const { result, log } = await fetchInto(dir, payloadFor([], { depth: 0 }));
    assert.deepEqual(result, { ok: true });
    assert.equal(git(dir, "rev-list", "--count", "HEAD"), "3");
    assert.match(log, /Fetching changes\.\.\./);
  });

  it("skips a fetch that would change nothing: the reused checkout's ref is already the commit", async () => {
    const moved = join(root, "moved-away");
    const dir = join(root, "up-to-date");
    const fetchStrategy = [variable("GIT_STRATEGY", "fetch")];
    assert.equal((await fetchInto(dir, payloadFor(fetchStrategy))).result.ok, true);
    // With the remote gone, only a job that needs no fetch can still get its sources.
    await rm(moved, { recursive: true, force: true });
    await cpDir(repo, moved);
    await rm(repo, { recursive: true, force: true });
    try {
      const again = await fetchInto(dir, payloadFor(fetchStrategy));
      assert.equal(again.result.ok, true, again.log);
      const older = await fetchInto(dir, payloadFor(fetchStrategy, { sha: shas[1]! }));
      assert.equal(older.result.ok, false, "a commit the ref does not point at is fetched");
      // The same when git keeps the ref packed instead of in a file of its own.
      git(dir, "pack-refs", "--all");
      assert.equal(await exists(join(dir, ".git", "refs", "remotes", "origin", "main")), false);
      const packed = await fetchInto(dir, payloadFor(fetchStrategy));
      assert.equal(packed.result.ok, true, packed.log);
      const olderPacked = await fetchInto(dir, payloadFor(fetchStrategy, { sha: shas[1]! }));
      assert.equal(olderPacked.result.ok, false, "with packed refs too");
    } finally {
      await cpDir(moved, repo);
    }
  });

  it("reuses the repository with fetch and cleans it with GIT_CLEAN_FLAGS", async () => {
    const dir = join(root, "fetch");
    await fetchInto(dir, payloadFor([variable("GIT_STRATEGY", "fetch")]));
    await writeFile(join(dir, ".git", "marker"), "kept by fetch");
    await writeFile(join(dir, "untracked.txt"), "x");
    await mkdir(join(dir, "build"));
    await writeFile(join(dir, "build", "ignored.o"), "x");
    await writeFile(join(dir, "README.md"), "changed\n");

    const { log } = await fetchInto(dir, payloadFor([variable("GIT_STRATEGY", "fetch")]));
    assert.ok(await exists(join(dir, ".git", "marker")), "same repository");
    assert.doesNotMatch(log, /Created fresh repository/);
    assert.equal(await exists(join(dir, "untracked.txt")), false);
    assert.equal(await exists(join(dir, "build")), false, "-ffdx removes ignored files");
    assert.equal(await readFile(join(dir, "README.md"), "utf8"), "one\n");

    await writeFile(join(dir, "untracked.txt"), "x");
    await mkdir(join(dir, "build"));
    await writeFile(join(dir, "build", "ignored.o"), "x");
    await fetchInto(
      dir,
      payloadFor([variable("GIT_STRATEGY", "fetch"), variable("GIT_CLEAN_FLAGS", "-ffd")]),
    );
    assert.equal(await exists(join(dir, "untracked.txt")), false);
    assert.ok(await exists(join(dir, "build", "ignored.o")), "-ffd keeps ignored files");

    await fetchInto(
      dir,
      payloadFor([variable("GIT_STRATEGY", "fetch"), variable("GIT_CLEAN_FLAGS", "none")]),
    );
    await writeFile(join(dir, "untracked.txt"), "x");
    await fetchInto(
      dir,
      payloadFor([variable("GIT_STRATEGY", "fetch"), variable("GIT_CLEAN_FLAGS", "none")]),
    );
    assert.ok(await exists(join(dir, "untracked.txt")), "none disables git clean");

    await fetchInto(dir, payloadFor([variable("GIT_STRATEGY", "clone")]));
    assert.equal(await exists(join(dir, ".git", "marker")), false, "clone starts over");
  });

  it("defaults to fetch when the project allows it, else clone", async () => {
    const dir = join(root, "default");
    await fetchInto(dir, payloadFor());
    await writeFile(join(dir, ".git", "marker"), "x");
    await fetchInto(dir, payloadFor());
    assert.ok(await exists(join(dir, ".git", "marker")));
    const noFetch = { ...payloadFor(), allow_git_fetch: false };
    await fetchInto(dir, noFetch);
    assert.equal(await exists(join(dir, ".git", "marker")), false);
  });

  it("skips the checkout with GIT_CHECKOUT=false", async () => {
    const dir = join(root, "no-checkout");
    const { result, log } = await fetchInto(dir, payloadFor([variable("GIT_CHECKOUT", "false")]));
    assert.deepEqual(result, { ok: true });
    assert.match(log, /Skipping Git checkout/);
    assert.equal(await exists(join(dir, "README.md")), false);
    assert.ok(await exists(join(dir, ".git")));
  });

  it("leaves the directory alone with none and empties it with empty", async () => {
    const dir = join(root, "none");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "keep.txt"), "x");
    const none = await fetchInto(dir, payloadFor([variable("GIT_STRATEGY", "none")]));
    assert.match(none.log, /Skipping Git repository setup\n/);
    assert.match(none.log, /Skipping Git checkout/);
    assert.deepEqual(await readdir(dir), ["keep.txt"]);
    const empty = await fetchInto(dir, payloadFor([variable("GIT_STRATEGY", "empty")]));
    assert.match(empty.log, /Skipping Git repository setup and creating an empty build directory/);
    assert.deepEqual(await readdir(dir), []);
  });

  it("fetches a commit the refspecs did not bring", async () => {
    git(repo, "checkout", "-q", "-b", "side");
    const side = await commitFiles(repo, { "side.txt": "side\n" });
    git(repo, "checkout", "-q", "main");
    const dir = join(root, "side");
    const { result } = await fetchInto(dir, payloadFor([], { sha: side }));
    assert.deepEqual(result, { ok: true });
    assert.equal(git(dir, "rev-parse", "HEAD"), side);
  });

  it("fails like a failed script when git fails, naming the command", async () => {
    const dir = join(root, "missing");
    await mkdir(`${dir}.tmp`, { recursive: true });
    await writeFile(join(`${dir}.tmp`, "get-sources-failed"), "left by an earlier job");
    const { result } = await fetchInto(
      dir,
      payloadFor([], { repo_url: join(root, "no-such-repo") }),
    );
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.exitCode === 128);
    assert.ok(
      !result.ok && /^git .*fetch origin/.test(result.command),
      String(!result.ok && result.command),
    );
  });

  it("removes what a killed git left behind and writes the git template", async () => {
    const dir = join(root, "stale");
    assert.equal((await fetchInto(dir, payloadFor())).result.ok, true);
    await writeFile(join(dir, ".git", "index.lock"), "");
    await writeFile(join(dir, ".git", "config.lock"), "");
    await mkdir(join(dir, ".git", "hooks"), { recursive: true });
    await writeFile(join(dir, ".git", "hooks", "post-checkout"), "#!/bin/sh\nexit 1\n");
    const { result, log } = await fetchInto(dir, payloadFor());
    assert.deepEqual(result, { ok: true }, log);
    for (const left of ["index.lock", "config.lock", "hooks/post-checkout"]) {
      assert.equal(await exists(join(dir, ".git", left)), false, left);
    }
    assert.equal(
      await readFile(join(`${dir}.tmp`, "git-template", "config"), "utf8"),
      "[init]\n\tdefaultBranch = none\n[fetch]\n\trecurseSubmodules = false\n" +
        "[credential]\n\tinteractive = never\n[gc]\n\tautoDetach = false\n",
    );
  });

  it("copies a working tree over the checkout without touching it", async () => {
    const wt = join(root, "wt");
    const head = await createRepository(wt, {
      "tracked.txt": "committed\n",
      "deleted.txt": "will be deleted\n",
      ".gitignore": "ignored/\n",
      "bin/run.sh": "#!/bin/sh\necho run\n",
    });
    await chmod(join(wt, "bin", "run.sh"), 0o755);
    await writeFile(join(wt, "tracked.txt"), "changed on disk\n");
    await rm(join(wt, "deleted.txt"));
    await writeFile(join(wt, "new.txt"), "untracked\n");
    await mkdir(join(wt, "ignored"));
    await writeFile(join(wt, "ignored", "secret.txt"), "ignored\n");
    await writeFile(join(wt, "staged.txt"), "staged\n");
    git(wt, "add", "staged.txt");

    const snapshot = async () => ({
      // --no-optional-locks: the snapshot itself must not refresh the index.
      status: git(wt, "--no-optional-locks", "status", "--porcelain", "--ignored"),
      index: createHash("sha256")
        .update(await readFile(join(wt, ".git", "index")))
        .digest("hex"),
      indexTime: (await stat(join(wt, ".git", "index"))).mtimeMs,
      head: git(wt, "rev-parse", "HEAD"),
    });
    const beforeRun = await snapshot();

    const dir = join(root, "overlay");
    const payload = testPayload({ repoUrl: wt, sha: head });
    const { result, log } = await fetchInto(dir, payload, wt);
    assert.deepEqual(result, { ok: true });
    assert.match(log, /uncommitted changes included/);
    assert.equal(await readFile(join(dir, "tracked.txt"), "utf8"), "changed on disk\n");
    assert.equal(await readFile(join(dir, "new.txt"), "utf8"), "untracked\n");
    assert.equal(await readFile(join(dir, "staged.txt"), "utf8"), "staged\n");
    assert.equal(await exists(join(dir, "deleted.txt")), false);
    assert.equal(await exists(join(dir, "ignored")), false);
    assert.ok(((await stat(join(dir, "bin", "run.sh"))).mode & 0o111) !== 0, "mode kept");
    assert.equal(git(dir, "rev-parse", "HEAD"), head);

    assert.deepEqual(await snapshot(), beforeRun, "the working tree is untouched");
  });
});

describe("gitSettingsOf", () => {
  const settings = (variables: JobVariable[], allowFetch = true) => {
    const payload = { ...testPayload({ variables, depth: 5 }), allow_git_fetch: allowFetch };
    return gitSettingsOf(
      payload,
      resolveJobVariables({
        payload,
        executorName: "shell",
        buildsDir: "/b",
        projectDir: "/b/p",
        concurrentId: 0,
        timeoutSeconds: 1,
        runner: { version: "t", arch: "linux/amd64" },
      }),
    );
  };

  it("reads the runner's defaults", () => {
    const s = settings([]);
    assert.equal(s.strategy, "fetch");
    assert.equal(settings([], false).strategy, "clone");
    assert.equal(settings([variable("GIT_STRATEGY", "bogus")], false).strategy, "clone");
    assert.equal(s.depth, 5);
    assert.equal(s.checkout, true);
    assert.deepEqual(s.cleanFlags, ["-ffdx"]);
    assert.deepEqual(s.fetchFlags, ["--prune", "--quiet"]);
    assert.equal(s.submoduleStrategy, "none");
    assert.equal(s.attempts, 1);
  });

  it("reads the variables", () => {
    const s = settings([
      variable("GIT_STRATEGY", "none"),
      variable("GIT_CLEAN_FLAGS", "-ffdx -e keep/"),
      variable("GIT_FETCH_EXTRA_FLAGS", "none"),
      variable("GIT_SUBMODULE_STRATEGY", "recursive"),
      variable("GET_SOURCES_ATTEMPTS", "3"),
    ]);
    assert.equal(s.strategy, "none");
    assert.equal(s.checkout, false, "none never checks out");
    assert.equal(s.submoduleStrategy, "none", "none has no submodules");
    assert.deepEqual(s.cleanFlags, ["-ffdx", "-e", "keep/"]);
    assert.deepEqual(s.fetchFlags, []);
    assert.equal(s.attempts, 3);
    assert.equal(settings([variable("GIT_CHECKOUT", "false")]).checkout, false);
    assert.equal(settings([variable("GIT_CHECKOUT", "nonsense")]).checkout, true);
    assert.deepEqual(settings([variable("GIT_SUBMODULE_STRATEGY", "odd")]).submoduleStrategy, {
      invalid: "odd",
    });
  });
});

describe("projectPathOf and remoteOf", () => {
  it("uses the project's full path, else the URL's path, else the project id", () => {
    const payload = testPayload({ projectPath: "group/sub/project" });
    assert.equal(projectPathOf(payload), "group/sub/project");
    payload.job_info.project_full_path = "../evil";
    payload.git_info.repo_url = "https://gitlab-ci-token:x@example.com/a/b.git";
    assert.equal(projectPathOf(payload), "a/b");
    payload.git_info.repo_url = "/local/path";
    assert.equal(projectPathOf(payload), "project-7");
  });

  it("makes local paths absolute and keeps URLs", () => {
    assert.equal(remoteOf("https://example.com/a.git"), "https://example.com/a.git");
    assert.equal(remoteOf("file:///srv/repo"), "file:///srv/repo");
    assert.equal(remoteOf("git@example.com:a/b.git"), "git@example.com:a/b.git");
    assert.equal(remoteOf("/srv/repo"), "/srv/repo");
    assert.equal(remoteOf("repo"), join(process.cwd(), "repo"));
  });
});
