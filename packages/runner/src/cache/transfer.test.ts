import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ArtifactWhen, CachePolicy, JobCache, JobVariable } from "@conveyor/protocol";
import type { CacheStore } from "../ports.js";
import { LocalCacheStore } from "../stores/local-cache-store.js";
import { readZipEntries } from "../artifacts/zip-read.js";
import { jobPayload, logSink, tempDir, writeTree } from "../artifacts/test-fixtures.js";
import { restoreCaches, saveCaches } from "./transfer.js";

function cache(overrides: Partial<JobCache> = {}): JobCache {
  return {
    key: "gems-non_protected",
    untracked: false,
    paths: ["vendor/"],
    policy: "pull-push",
    when: "on_success",
    ...overrides,
  };
}

function variable(key: string, value: string): JobVariable {
  return { key, value, public: true };
}

/** A store that records which keys were asked for. */
class RecordingStore implements CacheStore {
  readonly gets: string[] = [];
  readonly puts: string[] = [];
  constructor(private readonly inner: LocalCacheStore) {}
  get(key: string) {
    this.gets.push(key);
    return this.inner.get(key);
  }
  put(key: string, file: string) {
    this.puts.push(key);
    return this.inner.put(key, file);
  }
}

describe("saveCaches", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const project = join(dir, "project");
  writeTree(project, { "vendor/gem.rb": "gem", "vendor/lib/x.rb": "x", "node_modules/a.js": "a" });

  const policyTable: [CachePolicy, boolean][] = [
    ["pull-push", true],
    ["push", true],
    ["pull", false],
  ];
  for (const [policy, saved] of policyTable) {
    it(`policy ${policy} ${saved ? "saves" : "does not save"}`, async () => {
      const store = new LocalCacheStore(join(dir, `store-${policy}`));
      const { log, lines } = logSink();
      await saveCaches({
        job: jobPayload({ cache: [cache({ policy })] }),
        projectDir: project,
        store,
        jobSucceeded: true,
        log,
        tmpDir: join(dir, "tmp"),
      });
      assert.equal((await store.get("gems-non_protected")) !== undefined, saved);
      assert.deepEqual(
        lines,
        saved
          ? [
              "Creating cache gems-non_protected...",
              "vendor/: found 4 matching artifact files and directories",
              "Created cache",
            ]
          : ["Not uploading cache gems-non_protected due to policy"],
      );
    });
  }

  const whenTable: [ArtifactWhen, boolean, boolean][] = [
    ["on_success", true, true],
    ["on_success", false, false],
    ["on_failure", false, true],
    ["on_failure", true, false],
    ["always", false, true],
  ];
  for (const [when, succeeded, saved] of whenTable) {
    it(`when ${when}, job ${succeeded ? "succeeded" : "failed"} → ${saved ? "saved" : "not saved"}`, async () => {
      const store = new LocalCacheStore(join(dir, `when-${when}-${succeeded}`));
      await saveCaches({
        job: jobPayload({ cache: [cache({ when })] }),
        projectDir: project,
        store,
        jobSucceeded: succeeded,
        log: () => undefined,
        tmpDir: join(dir, "tmp"),
      });
      assert.equal((await store.get("gems-non_protected")) !== undefined, saved);
    });
  }

  it("archives paths under the expanded key, several caches each under its own key", async () => {
    const store = new LocalCacheStore(join(dir, "multi"));
    const job = jobPayload({
      variables: [variable("CI_COMMIT_REF_SLUG", "main")],
      cache: [
        cache({ key: "gems-$CI_COMMIT_REF_SLUG", paths: ["vendor"] }),
        cache({ key: "node", paths: ["node_modules/"] }),
      ],
    });
    await saveCaches({
      job,
      projectDir: project,
      store,
      jobSucceeded: true,
      log: () => undefined,
      tmpDir: join(dir, "tmp"),
    });
    assert.deepEqual(
      (await readZipEntries((await store.get("gems-main"))!)).map((e) => e.name),
      ["vendor/", "vendor/gem.rb", "vendor/lib/", "vendor/lib/x.rb"],
    );
    assert.deepEqual(
      (await readZipEntries((await store.get("node"))!)).map((e) => e.name),
      ["node_modules/", "node_modules/a.js"],
    );
  });

  it("stores an empty archive when nothing matches, and warns when the store fails", async () => {
    const store = new LocalCacheStore(join(dir, "empty"));
    const { log, lines } = logSink();
    await saveCaches({
      job: jobPayload({ cache: [cache({ paths: ["nothing/"] })] }),
      projectDir: project,
      store,
      jobSucceeded: true,
      log,
      tmpDir: join(dir, "tmp"),
    });
    assert.deepEqual(await readZipEntries((await store.get("gems-non_protected"))!), []);
    assert.equal(lines.at(-1), "Created cache");

    const failing: CacheStore = {
      get: async () => undefined,
      put: () => Promise.reject(new Error("no space")),
    };
    const failed = logSink();
    await saveCaches({
      job: jobPayload({ cache: [cache()] }),
      projectDir: project,
      store: failing,
      jobSucceeded: true,
      log: failed.log,
      tmpDir: join(dir, "tmp"),
    });
    assert.deepEqual(failed.lines.slice(-2), [
      "WARNING: no space",
      "WARNING: Failed to create cache",
    ]);
  });

  it("skips entries without paths or untracked, and falls back to <job>/<ref> for an empty key", async () => {
    const store = new LocalCacheStore(join(dir, "defaults"));
    const { log, lines } = logSink();
    await saveCaches({
      job: jobPayload({ cache: [cache({ paths: [] }), cache({ key: "" })] }),
      projectDir: project,
      store,
      jobSucceeded: true,
      log,
      tmpDir: join(dir, "tmp"),
    });
    assert.equal(lines[0], "Creating cache build/main...");
    assert.ok(existsSync(join(dir, "defaults", "build", "main.zip")));
  });
});

describe("restoreCaches", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const source = join(dir, "source");
  writeTree(source, { "vendor/gem.rb": "from-cache" });
  const local = new LocalCacheStore(join(dir, "store"));

  async function seed(key: string, content: string) {
    writeFileSync(join(source, "vendor/gem.rb"), content);
    await saveCaches({
      job: jobPayload({ cache: [cache({ key })] }),
      projectDir: source,
      store: local,
      jobSucceeded: true,
      log: () => undefined,
      tmpDir: join(dir, "tmp"),
    });
  }

  it("extracts the cache found under the key", async () => {
    await seed("gems-non_protected", "main-key");
    const project = join(dir, "p1");
    const { log, lines } = logSink();
    await restoreCaches({
      job: jobPayload({ cache: [cache()] }),
      projectDir: project,
      store: local,
      log,
    });
    assert.deepEqual(lines, [
      "Checking cache for gems-non_protected...",
      "Successfully extracted cache",
    ]);
    assert.equal(readFileSync(join(project, "vendor/gem.rb"), "utf8"), "main-key");
  });

  it("tries fallback_keys in order, then CACHE_FALLBACK_KEY", async () => {
    await seed("second-non_protected", "second");
    await seed("global", "global");
    const store = new RecordingStore(local);
    const project = join(dir, "p2");
    const { log, lines } = logSink();
    await restoreCaches({
      job: jobPayload({
        variables: [variable("CACHE_FALLBACK_KEY", "global")],
        cache: [
          cache({
            key: "missing-non_protected",
            fallback_keys: ["first-non_protected", "second-non_protected"],
          }),
        ],
      }),
      projectDir: project,
      store,
      log,
    });
    assert.deepEqual(store.gets, [
      "missing-non_protected",
      "first-non_protected",
      "second-non_protected",
    ]);
    assert.deepEqual(lines, [
      "Checking cache for missing-non_protected...",
      "WARNING: Cache file does not exist",
      "WARNING: Failed to extract cache",
      "Checking cache for first-non_protected...",
      "WARNING: Cache file does not exist",
      "WARNING: Failed to extract cache",
      "Checking cache for second-non_protected...",
      "Successfully extracted cache",
    ]);
    assert.equal(readFileSync(join(project, "vendor/gem.rb"), "utf8"), "second");

    const viaGlobal = new RecordingStore(local);
    await restoreCaches({
      job: jobPayload({
        variables: [variable("CACHE_FALLBACK_KEY", "glo$PART"), variable("PART", "bal")],
        cache: [cache({ key: "missing-non_protected", fallback_keys: ["first-non_protected"] })],
      }),
      projectDir: join(dir, "p3"),
      store: viaGlobal,
      log: () => undefined,
    });
    assert.deepEqual(viaGlobal.gets, ["missing-non_protected", "first-non_protected", "global"]);
    assert.equal(readFileSync(join(dir, "p3", "vendor/gem.rb"), "utf8"), "global");
  });

  it("refuses a CACHE_FALLBACK_KEY ending in -protected", async () => {
    const store = new RecordingStore(local);
    const { log, lines } = logSink();
    await restoreCaches({
      job: jobPayload({
        variables: [variable("CACHE_FALLBACK_KEY", "gems-protected")],
        cache: [cache({ key: "missing-non_protected" })],
      }),
      projectDir: join(dir, "p4"),
      store,
      log,
    });
    assert.deepEqual(store.gets, ["missing-non_protected"]);
    assert.equal(
      lines[0],
      'WARNING: CACHE_FALLBACK_KEY "gems-protected" not allowed to end in "-protected"',
    );
  });

  it("does not download with policy push, and a missing cache is never an error", async () => {
    const store = new RecordingStore(local);
    const { log, lines } = logSink();
    await restoreCaches({
      job: jobPayload({
        cache: [cache({ policy: "push" }), cache({ key: "nowhere", policy: "pull" })],
      }),
      projectDir: join(dir, "p5"),
      store,
      log,
    });
    assert.deepEqual(store.gets, ["nowhere"]);
    assert.deepEqual(lines, [
      "Not downloading cache gems-non_protected due to policy",
      "Checking cache for nowhere...",
      "WARNING: Cache file does not exist",
      "WARNING: Failed to extract cache",
    ]);
  });

  it("sanitizes keys with the runner's warning", async () => {
    const store = new RecordingStore(local);
    const { log, lines } = logSink();
    await restoreCaches({
      job: jobPayload({ cache: [cache({ key: "../../gems-non_protected" })] }),
      projectDir: join(dir, "p6"),
      store,
      log,
    });
    assert.deepEqual(store.gets, ["gems-non_protected"]);
    assert.equal(
      lines[0],
      'WARNING: cache key "../../gems-non_protected" sanitized to "gems-non_protected"',
    );
  });

  it("moves on to the next key when an archive cannot be extracted", async () => {
    const broken = join(dir, "broken.zip");
    writeFileSync(broken, "not a zip");
    const store: CacheStore = {
      get: async (key) => (key === "bad" ? broken : local.get(key)),
      put: async () => undefined,
    };
    const { log, lines } = logSink();
    const project = join(dir, "p7");
    await restoreCaches({
      job: jobPayload({ cache: [cache({ key: "bad", fallback_keys: ["gems-non_protected"] })] }),
      projectDir: project,
      store,
      log,
    });
    assert.deepEqual(lines, [
      "Checking cache for bad...",
      "WARNING: zip: not a valid zip file",
      "WARNING: Failed to extract cache",
      "Checking cache for gems-non_protected...",
      "Successfully extracted cache",
    ]);
    assert.ok(existsSync(join(project, "vendor/gem.rb")));
  });
});
