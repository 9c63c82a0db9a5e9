import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildEvent, loadPipeline } from "@conveyor/pipeline";
import { ZERO_SHA } from "../pipelines/trigger.js";
import type { ProjectRecord } from "../store/types.js";
import { commitConfigSource, treePath } from "./commit-config-source.js";
import { git } from "./git-command.js";
import { Repositories } from "./repositories.js";
import { RepositoryReader } from "./repository-reader.js";
import { GitClient } from "./testing-git.js";

const project = (id: number, path: string, defaultBranch = "main"): ProjectRecord => ({
  id,
  path,
  name: path,
  description: "",
  defaultBranch,
  visibility: "private",
  createdAt: 0,
});

describe("Repositories", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "conveyor-repos-"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("creates a bare repository named by project id, HEAD on the default branch, pushes enabled", async () => {
    const repositories = new Repositories(join(root, "nested"));
    const path = await repositories.create(project(7, "group/app", "trunk"));
    assert.equal(path, join(root, "nested", "7.git"));
    assert.equal(repositories.pathOf(7), path);
    assert.equal(
      (await git(path, ["rev-parse", "--is-bare-repository"])).toString().trim(),
      "true",
    );
    assert.equal((await git(path, ["symbolic-ref", "HEAD"])).toString().trim(), "refs/heads/trunk");
    assert.equal((await git(path, ["config", "http.receivepack"])).toString().trim(), "true");
    const anySha = await git(path, ["config", "uploadpack.allowAnySHA1InWant"]);
    assert.equal(anySha.toString().trim(), "true");
    assert.equal(await repositories.exists(7), true);
    await repositories.remove(7);
    assert.equal(await repositories.exists(7), false);
    await repositories.remove(7); // removing twice is fine
  });

  it("refuses a default branch git would read as something else", async () => {
    const repositories = new Repositories(root);
    await assert.rejects(repositories.create(project(8, "g/x", "main~1")), /not a valid branch/);
    await assert.rejects(repositories.create(project(9, "g/y", "--bare")), /not a valid branch/);
    assert.throws(() => repositories.pathOf(0), /not a project id/);
  });
});

describe("RepositoryReader", () => {
  let root: string;
  let client: GitClient;
  let reader: RepositoryReader;
  let work: string;
  let first: string;
  let second: string;
  const odd = "dir with space/new\nline é.txt";

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "conveyor-reader-"));
    client = await GitClient.open();
    const repositories = new Repositories(root);
    const bare = await repositories.create(project(1, "group/app"));
    reader = new RepositoryReader(bare);
    work = await client.workTree("app");
    first = await client.commit(
      work,
      {
        ".gitlab-ci.yml": "include:\n  - local: /ci/build.yml\n\ntest:\n  script: [echo test]\n",
        "ci/build.yml": "build:\n  script: [echo build]\n",
        "old-name.txt": "moved\n",
        "keep.txt": "same\n",
      },
      "First commit\n\nWith a body.",
    );
    await client.ok(work, ["mv", "old-name.txt", "new-name.txt"]);
    second = await client.commit(work, { [odd]: "odd\n", "keep.txt": "changed\n" }, "Second");
    await client.ok(work, ["push", "--quiet", bare, "main", `${first}:refs/heads/old`]);
    // A tag and a branch both called "both", and an annotated tag on the first commit.
    await client.ok(work, ["tag", "-a", "-m", "release", "v1.0", first]);
    await client.ok(work, ["tag", "both", first]);
    await client.ok(work, ["push", "--quiet", bare, "v1.0", "both", `${second}:refs/heads/both`]);
  });
  after(async () => {
    await client.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("reads a file at a commit, and nothing for a missing file, directory or commit", async () => {
    assert.equal(await reader.readFile(first, "ci/build.yml"), "build:\n  script: [echo build]\n");
    assert.equal(await reader.readFile(first, "/ci/build.yml"), "build:\n  script: [echo build]\n");
    assert.equal(await reader.readFile(second, odd), "odd\n");
    assert.equal(await reader.readFile(first, odd), undefined);
    assert.equal(await reader.readFile(first, "ci"), undefined);
    assert.equal(await reader.readFile(first, "../1.git/HEAD"), undefined);
    assert.equal(await reader.readFile("f".repeat(40), "keep.txt"), undefined);
    assert.equal(await reader.readFile("main", "keep.txt"), undefined, "SHAs only, not refs");
  });

  it("answers concurrent reads each with its own file", async () => {
    const paths = Array.from({ length: 20 }, (_, index) =>
      index % 2 === 0 ? "keep.txt" : "ci/build.yml",
    );
    const texts = await Promise.all(paths.map((path) => reader.readFile(second, path)));
    texts.forEach((text, index) =>
      assert.equal(
        text,
        paths[index] === "keep.txt" ? "changed\n" : "build:\n  script: [echo build]\n",
      ),
    );
  });

  it("lists every path of a commit, NUL-safe", async () => {
    assert.deepEqual(await reader.listFiles(second), [
      ".gitlab-ci.yml",
      "ci/build.yml",
      odd,
      "keep.txt",
      "new-name.txt",
    ]);
    assert.deepEqual(await reader.listFiles("e".repeat(40)), []);
  });

  it("lists changed paths between two commits, a rename as both of its paths", async () => {
    const changed = await reader.changedPaths(first, second);
    assert.deepEqual(
      [...(changed ?? [])].sort(),
      [odd, "keep.txt", "new-name.txt", "old-name.txt"].sort(),
    );
    assert.equal(await reader.changedPaths(ZERO_SHA, second), undefined);
    assert.equal(await reader.changedPaths("d".repeat(40), second), undefined);
  });

  it("reads the commit's message, author and time", async () => {
    assert.deepEqual(await reader.commit(first), {
      message: "First commit\n\nWith a body.",
      authorName: "Ada Lovelace",
      authorEmail: "ada@example.com",
      timestamp: "2024-03-01T12:00:00+00:00",
    });
    assert.equal(await reader.commit("c".repeat(40)), undefined);
  });

  it("resolves branches before tags, peels annotated tags, refuses revision syntax", async () => {
    assert.deepEqual(await reader.resolveRef("main"), {
      ref: { kind: "branch", name: "main" },
      sha: second,
    });
    assert.deepEqual(await reader.resolveRef("v1.0"), {
      ref: { kind: "tag", name: "v1.0" },
      sha: first,
    });
    assert.deepEqual(await reader.resolveRef("both"), {
      ref: { kind: "branch", name: "both" },
      sha: second,
    });
    assert.equal(await reader.resolveRef("ma"), undefined, "no prefix matching");
    assert.equal(await reader.resolveRef("main~1"), undefined);
    assert.equal(await reader.resolveRef("heads/main"), undefined);
    assert.equal(await reader.resolveRef("nothing"), undefined);
    assert.equal(await reader.resolveCommit(first.slice(0, 10)), first);
    assert.equal(await reader.resolveCommit("old"), first);
  });

  it("loads a pipeline whose include:local comes from the commit", async () => {
    const text = await reader.readFile(first, ".gitlab-ci.yml");
    assert.ok(text);
    const loaded = await loadPipeline(text, {
      file: ".gitlab-ci.yml",
      source: reader.configSource(first),
      event: buildEvent({ branch: "main", sha: first, files: await reader.listFiles(first) }),
    });
    assert.deepEqual(loaded.diagnostics, []);
    assert.deepEqual(loaded.compiled.jobs.map((job) => job.name).sort(), ["build", "test"]);
  });

  it("reads include:project through the lookup at a ref, and refuses remote includes by default", async () => {
    const source = commitConfigSource({
      files: reader,
      sha: first,
      projects: async (path) =>
        path === "group/app" ? { defaultBranch: "main", files: reader } : undefined,
    });
    assert.equal(await source.readProject("group/app", "keep.txt", undefined), "changed\n");
    assert.equal(await source.readProject("group/app", "keep.txt", "v1.0"), "same\n");
    assert.equal(await source.readProject("group/app", "keep.txt", first), "same\n");
    assert.equal(await source.readProject("group/app", "absent.yml", "main"), undefined);
    await assert.rejects(
      source.readProject("group/app", "keep.txt", "nope"),
      /`nope` does not exist/,
    );
    await assert.rejects(source.readProject("other/x", "a.yml", undefined), /does not exist or/);
    await assert.rejects(
      source.readRemote("https://example.com/ci.yml"),
      /remote includes are disabled/,
    );
    await assert.rejects(
      reader.configSource(first).readProject("group/app", "keep.txt", undefined),
      /not enabled/,
    );
    assert.deepEqual(await source.listLocal(), await reader.listFiles(first));

    const fetched: string[] = [];
    const withFetcher = commitConfigSource({
      files: reader,
      sha: first,
      fetchRemote: async (url) => {
        fetched.push(url);
        return "remote: {}\n";
      },
    });
    assert.equal(await withFetcher.readRemote("https://example.com/ci.yml"), "remote: {}\n");
    assert.deepEqual(fetched, ["https://example.com/ci.yml"]);
  });

  it("keeps include paths inside the tree", () => {
    assert.equal(treePath("/ci/./build.yml"), "ci/build.yml");
    assert.equal(treePath("a/../b.yml"), "b.yml");
    assert.equal(treePath("../x.yml"), undefined);
    assert.equal(treePath("/"), undefined);
  });
});
