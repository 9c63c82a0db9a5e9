import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { JobArtifact } from "@conveyor/protocol";
import { jobPayload, tempDir } from "../artifacts/test-fixtures.js";
import { LocalArtifactStore } from "./local-artifact-store.js";
import { LocalCacheStore } from "./local-cache-store.js";

describe("LocalCacheStore", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const store = new LocalCacheStore(join(dir, "cache"));
  const source = join(dir, "src.zip");

  it("stores under <root>/<key>.zip and returns undefined for unknown keys", async () => {
    writeFileSync(source, "v1");
    assert.equal(await store.get("gems-protected"), undefined);
    await store.put("gems-protected", source);
    const file = await store.get("gems-protected");
    assert.equal(file, join(dir, "cache", "gems-protected.zip"));
    assert.equal(readFileSync(file!, "utf8"), "v1");
  });

  it("replaces atomically, leaving no temporary file behind", async () => {
    writeFileSync(source, "v2");
    await store.put("gems-protected", source);
    assert.equal(readFileSync((await store.get("gems-protected"))!, "utf8"), "v2");
    assert.deepEqual(readdirSync(join(dir, "cache")), ["gems-protected.zip"]);
  });

  it("keeps the old archive when a put fails midway", async () => {
    await assert.rejects(store.put("gems-protected", join(dir, "no-such-file.zip")));
    assert.equal(readFileSync((await store.get("gems-protected"))!, "utf8"), "v2");
    assert.deepEqual(readdirSync(join(dir, "cache")), ["gems-protected.zip"]);
  });

  it("nests keys with slashes and refuses keys leaving the root", async () => {
    await store.put("build/main", source);
    assert.ok(existsSync(join(dir, "cache", "build", "main.zip")));
    for (const key of ["", "../escape", "a/../../escape", "x\0y"]) {
      await assert.rejects(store.put(key, source), /invalid cache key/, key);
    }
    assert.equal(existsSync(join(dir, "escape.zip")), false);
  });

  it("keeps gitlab-runner's layout <root>/<key>/cache.zip when asked, with the same refusals", async () => {
    const runnerStore = new LocalCacheStore(join(dir, "runner-cache"), "key/cache.zip");
    await runnerStore.put("deps/main", source);
    assert.ok(existsSync(join(dir, "runner-cache", "deps", "main", "cache.zip")));
    assert.equal(
      await runnerStore.get("deps/main"),
      join(dir, "runner-cache", "deps", "main", "cache.zip"),
    );
    for (const key of ["", ".", "../escape", "a/../../escape", "x\0y"]) {
      await assert.rejects(runnerStore.put(key, source), /invalid cache key/, key);
    }
  });
});

describe("LocalArtifactStore", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const store = new LocalArtifactStore(join(dir, "pipelines", "7"));
  const file = (content: string) => {
    const path = join(dir, `upload-${content}`);
    writeFileSync(path, content);
    return path;
  };
  const entry = (
    type: string,
    format: JobArtifact["artifact_format"],
    name: string,
    expire: string | null,
  ) =>
    ({
      name,
      paths: ["x"],
      when: "always",
      expire_in: expire,
      artifact_type: type,
      artifact_format: format,
    }) as JobArtifact;

  it("lays files out per job and type, recording expire_in", async () => {
    const job = jobPayload({ id: 41 });
    await store.upload(job, entry("archive", "zip", "artifacts", "1 week"), file("zip"));
    await store.upload(job, entry("junit", "gzip", "junit.xml", null), file("gz"));
    await store.upload(job, entry("sast", "raw", "gl-sast-report.json", "30 days"), file("raw"));
    const jobDir = join(dir, "pipelines", "7", "jobs", "41");
    assert.deepEqual(readdirSync(jobDir).sort(), [
      "artifacts.json",
      "artifacts.zip",
      "junit.gz",
      "sast.json",
    ]);
    const listed = await store.list(41);
    assert.deepEqual(
      listed.map((a) => [a.artifact_type, a.artifact_format, a.name, a.file, a.expire_in, a.size]),
      [
        ["archive", "zip", "artifacts", "artifacts.zip", "1 week", 3],
        ["junit", "gzip", "junit.xml", "junit.gz", null, 2],
        ["sast", "raw", "gl-sast-report.json", "sast.json", "30 days", 3],
      ],
    );
    assert.ok(listed.every((a) => !Number.isNaN(Date.parse(a.created_at))));
    const metadata = JSON.parse(readFileSync(join(jobDir, "artifacts.json"), "utf8"));
    assert.equal(metadata.pipeline_id, 7);
    assert.equal(metadata.job_name, "build");
    assert.equal(await store.fileFor(41, "junit"), join(jobDir, "junit.gz"));
    assert.equal(await store.fileFor(41, "dotenv"), undefined);
  });

  it("replaces an entry of the same type on a second upload", async () => {
    const job = jobPayload({ id: 41 });
    await store.upload(job, entry("junit", "gzip", "junit.xml", "2 days"), file("again"));
    const junit = (await store.list(41)).filter((a) => a.artifact_type === "junit");
    assert.equal(junit.length, 1);
    assert.equal(junit[0]!.expire_in, "2 days");
    assert.equal(readFileSync(junit[0]!.path, "utf8"), "again");
  });

  it("hands out a dependency's archive, or undefined when it has none", async () => {
    const consumer = jobPayload({ id: 50 });
    assert.equal(
      await store.download(consumer, { id: 41, name: "build", token: "t" }),
      join(dir, "pipelines", "7", "jobs", "41", "artifacts.zip"),
    );
    assert.equal(await store.download(consumer, { id: 42, name: "lint", token: "t" }), undefined);
    assert.deepEqual(await store.list(42), []);
  });
});
