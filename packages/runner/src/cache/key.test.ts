import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, it } from "node:test";
import { git, gitRepo, tempDir } from "../artifacts/test-fixtures.js";
import { expandValue } from "./expand.js";
import { cacheFilesDigest } from "./files-digest.js";
import { digestFromHashes, sanitizeCacheKey, validateCacheKey } from "./key.js";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

describe("digestFromHashes", () => {
  it("digests ids as GitLab: compact, sort, uniq, join with -, SHA-1", () => {
    assert.equal(digestFromHashes(["b", undefined, "a", "b", null]), sha1("a-b"));
    assert.equal(digestFromHashes([]), undefined);
    assert.equal(digestFromHashes([undefined]), undefined);
  });
});

describe("validateCacheKey (configuration check)", () => {
  const table: [string, string | undefined][] = [
    ["gems", undefined],
    ["gems-$CI_COMMIT_REF_SLUG", undefined],
    ["a/b", 'cannot contain the "/" character'],
    ["a%2Fb", 'cannot contain the "/" character'],
    ["a%2fb", 'cannot contain the "/" character'],
    [".", 'cannot be "." or ".."'],
    ["..", 'cannot be "." or ".."'],
    ["%2E%2E", 'cannot be "." or ".."'],
    ["...", undefined],
  ];
  for (const [key, error] of table) {
    it(`${key} → ${error ?? "ok"}`, () => assert.equal(validateCacheKey(key), error));
  }
});

describe("sanitizeCacheKey (the runner)", () => {
  const table: [input: string, key: string, warning?: string][] = [
    ["gems-main", "gems-main"],
    ["build/main", "build/main"],
    ["", ""],
    ["../../etc/passwd", "etc/passwd", 'cache key "../../etc/passwd" sanitized to "etc/passwd"'],
    ["a%2Fb", "a/b", 'cache key "a%2Fb" sanitized to "a/b"'],
    ["%2e%2e/x", "x", 'cache key "%2e%2e/x" sanitized to "x"'],
    ["win\\path", "win/path", 'cache key "win\\\\path" sanitized to "win/path"'],
    ["key ", "key", 'cache key "key " sanitized to "key"'],
    ["dir/ /", "dir", 'cache key "dir/ /" sanitized to "dir"'],
    ["a//b/./c", "a/b/c", 'cache key "a//b/./c" sanitized to "a/b/c"'],
    ["..", "", 'cache key ".." could not be sanitized'],
    ["/", "", 'cache key "/" could not be sanitized'],
  ];
  for (const [input, key, warning] of table) {
    it(JSON.stringify(input), () => {
      assert.deepEqual(sanitizeCacheKey(input), warning ? { key, warning } : { key });
    });
  }
});

describe("expandValue (os.Expand over job variables)", () => {
  const vars: Record<string, string> = { REF: "main", JOB: "test", EMPTY: "" };
  const lookup = (name: string) => vars[name];
  const table: [string, string][] = [
    ["gems-$REF", "gems-main"],
    ["${JOB}-${REF}", "test-main"],
    ["$UNKNOWN-x", "-x"],
    ["cost: $", "cost: $"],
    ["a$-b", "ab"],
    ["${}x", "x"],
    ["${REF", "REF"],
    ["$1st", "st"],
    ["$EMPTY$REF", "main"],
  ];
  for (const [input, output] of table) {
    it(`${input} → ${output}`, () => assert.equal(expandValue(input, lookup), output));
  }
});

describe("cacheFilesDigest (key:files from git)", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  gitRepo(dir, {
    "Gemfile.lock": "gems\n",
    "package.json": "{}\n",
    "web/package.json": '{"name":"web"}\n',
    "docs/": "",
  });
  const sha = git(dir, "rev-parse", "HEAD").trim();
  const blob = (path: string) => git(dir, "rev-parse", `HEAD:${path}`).trim();

  it("hashes the blob ids of the files", async () => {
    const digest = await cacheFilesDigest({
      repoDir: dir,
      sha,
      files: ["package.json", "Gemfile.lock"],
    });
    assert.equal(digest, digestFromHashes([blob("Gemfile.lock"), blob("package.json")]));
  });

  it("ignores missing files, ./ paths and directories; undefined when nothing is left", async () => {
    const digest = await cacheFilesDigest({
      repoDir: dir,
      sha,
      files: ["Gemfile.lock", "nope.lock", "./package.json"],
    });
    assert.equal(digest, digestFromHashes([blob("Gemfile.lock")]));
    assert.equal(
      await cacheFilesDigest({ repoDir: dir, sha, files: ["nope", "web/", " "] }),
      undefined,
    );
  });

  it("expands wildcard patterns against the commit's files", async () => {
    const digest = await cacheFilesDigest({ repoDir: dir, sha, files: ["**/package.json"] });
    assert.equal(digest, digestFromHashes([blob("package.json"), blob("web/package.json")]));
  });

  it("uses the last commits for files_commits", async () => {
    const first = git(dir, "rev-parse", "HEAD").trim();
    git(dir, "commit", "-q", "--allow-empty", "-m", "empty");
    const head = git(dir, "rev-parse", "HEAD").trim();
    const digest = await cacheFilesDigest({
      repoDir: dir,
      sha: head,
      filesCommits: ["Gemfile.lock", "missing"],
    });
    assert.equal(digest, sha1(first));
  });
});
