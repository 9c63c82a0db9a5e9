import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ArtifactWhen, JobArtifact, JobPayload } from "@conveyor/protocol";
import type { ArtifactStore } from "../ports.js";
import { LocalArtifactStore } from "../stores/local-artifact-store.js";
import { gunzipMembers } from "./gzip.js";
import { ArtifactError, downloadArtifacts, uploadArtifacts } from "./transfer.js";
import { readZipEntries } from "./zip-read.js";
import { jobPayload, logSink, tempDir, writeTree } from "./test-fixtures.js";

function archive(overrides: Partial<JobArtifact> = {}): JobArtifact {
  return {
    name: "artifacts",
    untracked: false,
    paths: ["dist/"],
    when: "on_success",
    expire_in: "1 week",
    artifact_type: "archive",
    artifact_format: "zip",
    ...overrides,
  };
}

function report(
  type: string,
  name: string,
  format: JobArtifact["artifact_format"],
  paths: string[],
) {
  return archive({ name, paths, when: "always", artifact_type: type, artifact_format: format });
}

describe("uploadArtifacts", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const project = join(dir, "project");
  writeTree(project, {
    "dist/app.js": "console.log(1)",
    "dist/app.js.map": "{}",
    "reports/unit.xml": '<testsuite name="u"><testcase name="a"/></testsuite>',
    "reports/api.xml": '<testsuite name="api"><testcase name="b"/></testsuite>',
    "gl-sast-report.json": '{"vulnerabilities":[]}',
    "build.env": "VERSION=1.2.3\n",
  });

  it("stores the archive and the reports in their formats, logging like the runner", async () => {
    const store = new LocalArtifactStore(join(dir, "store"));
    const job = jobPayload({
      id: 11,
      artifacts: [
        archive({ exclude: ["dist/**/*.map"] }),
        report("junit", "junit.xml", "gzip", ["reports/*.xml"]),
        report("sast", "gl-sast-report.json", "raw", ["gl-sast-report.json"]),
        report("dotenv", ".env", "gzip", ["build.env"]),
      ],
    });
    const { log, lines } = logSink();
    await uploadArtifacts({
      job,
      projectDir: project,
      store,
      jobSucceeded: true,
      log,
      tmpDir: join(dir, "tmp"),
    });
    assert.deepEqual(lines, [
      "Uploading artifacts...",
      "dist/: found 2 matching artifact files and directories",
      "dist/**/*.map: excluded 1 files",
      'Uploading artifacts as "archive" to coordinator... 201 Created  id=11 responseStatus=201 Created',
      "Uploading artifacts...",
      "reports/*.xml: found 2 matching artifact files and directories",
      'Uploading artifacts as "junit" to coordinator... 201 Created  id=11 responseStatus=201 Created',
      "Uploading artifacts...",
      "gl-sast-report.json: found 1 matching artifact files and directories",
      'Uploading artifacts as "sast" to coordinator... 201 Created  id=11 responseStatus=201 Created',
      "Uploading artifacts...",
      "build.env: found 1 matching artifact files and directories",
      'Uploading artifacts as "dotenv" to coordinator... 201 Created  id=11 responseStatus=201 Created',
    ]);

    const stored = await store.list(11);
    assert.deepEqual(
      stored.map((s) => [s.artifact_type, s.artifact_format, s.file, s.expire_in]),
      [
        ["archive", "zip", "artifacts.zip", "1 week"],
        ["junit", "gzip", "junit.gz", "1 week"],
        ["sast", "raw", "sast.json", "1 week"],
        ["dotenv", "gzip", "dotenv.gz", "1 week"],
      ],
    );
    const zip = (await store.fileFor(11, "archive"))!;
    assert.deepEqual(
      (await readZipEntries(zip)).map((e) => e.name),
      ["dist/", "dist/app.js"],
    );
    const junit = gunzipMembers(readFileSync((await store.fileFor(11, "junit"))!));
    assert.deepEqual(
      junit.map((m) => m.comment),
      ["reports/api.xml", "reports/unit.xml"],
    );
    assert.equal(
      readFileSync((await store.fileFor(11, "sast"))!, "utf8"),
      '{"vulnerabilities":[]}',
    );
    assert.deepEqual(readdirSync(join(dir, "tmp")), [], "temporary archives are removed");
  });

  const whenTable: [ArtifactWhen, boolean, boolean][] = [
    ["on_success", true, true],
    ["on_success", false, false],
    ["on_failure", true, false],
    ["on_failure", false, true],
    ["always", true, true],
    ["always", false, true],
  ];
  for (const [when, succeeded, uploaded] of whenTable) {
    it(`when: ${when}, job ${succeeded ? "succeeded" : "failed"} → ${uploaded ? "uploaded" : "skipped"}`, async () => {
      const store = new LocalArtifactStore(join(dir, `when-${when}-${succeeded}`));
      const job = jobPayload({ id: 12, artifacts: [archive({ when })] });
      const { log, lines } = logSink();
      await uploadArtifacts({
        job,
        projectDir: project,
        store,
        jobSucceeded: succeeded,
        log,
        tmpDir: join(dir, "tmp"),
      });
      assert.equal((await store.list(12)).length, uploaded ? 1 : 0);
      assert.equal(lines.includes("Uploading artifacts..."), uploaded);
    });
  }

  it("logs an error and goes on when nothing matches", async () => {
    const store = new LocalArtifactStore(join(dir, "none"));
    const job = jobPayload({
      id: 13,
      artifacts: [archive({ paths: ["missing/"] }), archive({ name: "x", paths: ["dist/app.js"] })],
    });
    const { log, lines } = logSink();
    await uploadArtifacts({
      job,
      projectDir: project,
      store,
      jobSucceeded: true,
      log,
      tmpDir: join(dir, "tmp"),
    });
    assert.equal(lines[2], "ERROR: No files to upload");
    assert.deepEqual(
      (await store.list(13)).map((s) => s.name),
      ["x"],
    );
  });

  it("skips entries without paths, exclude or untracked", async () => {
    const store = new LocalArtifactStore(join(dir, "empty-entry"));
    const job = jobPayload({ id: 14, artifacts: [archive({ paths: [] })] });
    const { log, lines } = logSink();
    await uploadArtifacts({
      job,
      projectDir: project,
      store,
      jobSucceeded: true,
      log,
      tmpDir: join(dir, "tmp"),
    });
    assert.deepEqual(lines, []);
  });

  it("fails when a raw report matches more than one file", async () => {
    const store = new LocalArtifactStore(join(dir, "raw"));
    const job = jobPayload({
      id: 15,
      artifacts: [report("sast", "gl-sast-report.json", "raw", ["reports/*.xml"])],
    });
    const { log, lines } = logSink();
    await assert.rejects(
      uploadArtifacts({
        job,
        projectDir: project,
        store,
        jobSucceeded: true,
        log,
        tmpDir: join(dir, "tmp"),
      }),
      (err: Error) =>
        err instanceof ArtifactError && /only one file can be sent as raw/.test(err.message),
    );
    assert.equal(lines.at(-1), "FATAL: only one file can be sent as raw");
  });

  it("fails when the store refuses the upload", async () => {
    const store: ArtifactStore = {
      upload: () => Promise.reject(new Error("disk full")),
      download: () => Promise.resolve(undefined),
    };
    const job = jobPayload({ id: 16, artifacts: [archive()] });
    const { log, lines } = logSink();
    await assert.rejects(
      uploadArtifacts({
        job,
        projectDir: project,
        store,
        jobSucceeded: true,
        log,
        tmpDir: join(dir, "tmp"),
      }),
      ArtifactError,
    );
    assert.equal(
      lines.at(-1),
      'ERROR: Uploading artifacts as "archive" to coordinator... error  error=disk full id=16',
    );
  });
});

describe("downloadArtifacts", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const store = new LocalArtifactStore(join(dir, "store"));
  const producer = join(dir, "producer");
  writeTree(producer, { "dist/app.js": "built", "dist/latest": "->app.js" });

  const consumer = (dependencies: JobPayload["dependencies"]) =>
    jobPayload({ id: 30, token: "glcbt-consumer-secret", dependencies });

  it("round trip: upload in one job, download and extract in the next", async () => {
    await uploadArtifacts({
      job: jobPayload({
        id: 21,
        job_info: {
          name: "build",
          stage: "build",
          pipeline_id: 7,
          project_id: 1,
          project_name: "shop",
        },
        artifacts: [archive()],
      }),
      projectDir: producer,
      store,
      jobSucceeded: true,
      log: () => undefined,
      tmpDir: join(dir, "tmp"),
    });
    const project = join(dir, "consumer");
    const { log, lines } = logSink();
    await downloadArtifacts({
      job: consumer([
        {
          id: 21,
          name: "build",
          token: "glcbt-consumer-secret",
          artifacts_file: { filename: "artifacts.zip", size: 1 },
        },
        {
          id: 22,
          name: "lint",
          token: "glcbt-consumer-secret",
          artifacts_file: { filename: "", size: 0 },
        },
        { id: 23, name: "test", token: "glcbt-consumer-secret" },
      ]),
      projectDir: project,
      store,
      log,
    });
    assert.deepEqual(lines, [
      "Downloading artifacts for build (21)...",
      "Downloading artifacts from coordinator... ok  id=21 responseStatus=200 OK",
    ]);
    assert.equal(readFileSync(join(project, "dist/app.js"), "utf8"), "built");
    assert.equal(readlinkSync(join(project, "dist/latest")), "app.js");
    assert.ok(!lines.join("\n").includes("secret"));
  });

  it("fails with ArtifactError when a dependency's archive is missing", async () => {
    const { log, lines } = logSink();
    await assert.rejects(
      downloadArtifacts({
        job: consumer([
          {
            id: 99,
            name: "gone",
            token: "t",
            artifacts_file: { filename: "artifacts.zip", size: 5 },
          },
        ]),
        projectDir: join(dir, "c2"),
        store,
        log,
      }),
      (err: Error) =>
        err instanceof ArtifactError && err.message === "artifacts for gone (99) not found",
    );
    assert.deepEqual(lines, [
      "Downloading artifacts for gone (99)...",
      "ERROR: Downloading artifacts from coordinator... not found  id=99 responseStatus=404 Not Found",
      "FATAL: file does not exist",
    ]);
  });

  it("fails with ArtifactError when the archive cannot be extracted", async () => {
    const broken: ArtifactStore = {
      upload: () => Promise.resolve(),
      download: () => Promise.resolve(join(producer, "dist/app.js")),
    };
    await assert.rejects(
      downloadArtifacts({
        job: consumer([
          { id: 21, name: "build", token: "t", artifacts_file: { filename: "a.zip", size: 5 } },
        ]),
        projectDir: join(dir, "c3"),
        store: broken,
        log: () => undefined,
      }),
      ArtifactError,
    );
  });
});
