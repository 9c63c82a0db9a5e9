/** The store contract on SQLite (a fresh temporary data directory per store), plus what only SQLite has. */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { openTestStore, type TestStore } from "../testing/stores.js";
import { storeContract } from "./contract-suite.js";
import { openStore } from "./index.js";
import { migrateSqlite, SQLITE_MIGRATIONS } from "./sqlite/migrations.js";
import { nativeBindingOption } from "./sqlite/database.js";

/**
 * Runs ES module `code` in another Node process (with this process's loader flags, so the
 * TypeScript sources load under tsx too); `STORE_MODULE` is the store's index module. Answers
 * the process's stdout.
 */
function inAnotherProcess(code: string, env: Record<string, string>): Promise<string> {
  const flags = process.execArgv.filter((flag) => !flag.startsWith("--test"));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...flags, "--input-type=module", "-e", code],
      {
        env: { ...process.env, ...env, STORE_MODULE: new URL("./index.js", import.meta.url).href },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

const opened: TestStore[] = [];
after(async () => {
  await Promise.all(opened.map((handle) => handle.dispose()));
});

storeContract("sqlite", async () => {
  const handle = await openTestStore("sqlite");
  opened.push(handle);
  return handle.store;
});

describe("sqlite store", () => {
  test("creates the data directory and conveyor.sqlite3 in WAL mode with foreign keys", async () => {
    const parent = await mkdtemp(join(tmpdir(), "conveyor-sqlite-"));
    try {
      const dir = join(parent, "nested", "data");
      const store = await openStore(dir);
      assert.equal(store.kind, "sqlite");
      await store.close();
      const file = join(dir, "conveyor.sqlite3");
      assert.ok(existsSync(file));
      const db = new Database(file, { readonly: true, ...nativeBindingOption() });
      try {
        assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
        const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
        assert.deepEqual(
          versions.map((row) => (row as { version: number }).version),
          SQLITE_MIGRATIONS.map((m) => m.version),
        );
        const fks = db.prepare("SELECT * FROM pragma_foreign_key_list('members')").all();
        assert.ok(fks.length >= 2);
      } finally {
        db.close();
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  test("migration 4 moves what settings remembered of jobs' environments, settling the ended jobs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conveyor-sqlite-"));
    try {
      // A database as the previous version left it: migrations 1 to 3, and its settings.
      const db = new Database(join(dir, "conveyor.sqlite3"), nativeBindingOption());
      try {
        migrateSqlite(
          db,
          SQLITE_MIGRATIONS.filter((m) => m.version <= 3),
        );
        const run = (sql: string, ...values: unknown[]) => db.prepare(sql).run(...values);
        run(`INSERT INTO projects (id, path, name, description, default_branch, visibility,
               created_at) VALUES (1, 'g/app', 'app', '', 'main', 'private', 1)`);
        run(`INSERT INTO pipelines (id, project_id, iid, ref, tag, sha, before_sha, source, status,
               event, plan, created_at, updated_at)
             VALUES (1, 1, 1, 'main', 0, 'a', 'b', 'push', 'running', '{}', '{}', 1, 1)`);
        const job = (id: number, status: string, finishedAt: number | null) =>
          run(
            `INSERT INTO jobs (id, pipeline_id, project_id, name, stage, status, attempt, retried,
               allow_failure, tags, timeout_seconds, cancel_gracefully, created_at, updated_at,
               finished_at) VALUES (?, 1, 1, ?, 'deploy', ?, 1, 0, 0, '[]', 60, 0, 1, 7, ?)`,
            id,
            `job ${id}`,
            status,
            finishedAt,
          );
        job(1, "success", 5);
        job(2, "running", null);
        job(3, "canceled", null);
        run(`INSERT INTO environments (id, project_id, name, slug, tier, state, created_at,
               updated_at) VALUES (4, 1, 'review', 'review', 'development', 'available', 1, 1)`);
        const remember = (key: string, value: string) =>
          run("INSERT INTO settings (key, value) VALUES (?, ?)", key, value);
        remember("job-environment:1", '{"environmentId":4,"action":"start"}');
        remember("job-environment:2", '{"environmentId":4,"action":"stop"}');
        remember("job-environment:3", '{"environmentId":4,"action":"prepare"}');
        remember("job-environment:9", '{"environmentId":4,"action":"start"}'); // job gone
        remember("job-environment:x", "not json");
        remember("other", "kept");
      } finally {
        db.close();
      }

      const store = await openStore(dir);
      try {
        assert.deepEqual(await store.jobEnvironments.ofJob(1), {
          jobId: 1,
          environmentId: 4,
          action: "start",
          settledAt: 5,
        });
        assert.deepEqual(await store.jobEnvironments.ofJob(2), {
          jobId: 2,
          environmentId: 4,
          action: "stop",
        });
        assert.equal((await store.jobEnvironments.ofJob(3))?.settledAt, 7);
        assert.equal(await store.jobEnvironments.ofJob(9), undefined);
        assert.equal(await store.settings.get("job-environment:1"), undefined);
        assert.equal(await store.settings.get("other"), "kept");
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("processes opening a new directory at once migrate it once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conveyor-sqlite-"));
    try {
      const code = `const { openStore } = await import(process.env.STORE_MODULE);
        const store = await openStore(process.env.DATA_DIR);
        await store.settings.set("opened-by-" + process.pid, "yes");
        await store.close();`;
      await Promise.all([1, 2, 3].map(() => inAnotherProcess(code, { DATA_DIR: dir })));
      const [a, b] = await Promise.all([openStore(dir), openStore(dir)]);
      await a.projects.create(
        { path: "g/p", name: "p", description: "", defaultBranch: "main", visibility: "public" },
        1,
      );
      assert.equal((await b.projects.list()).length, 1);
      await a.close();
      await b.close();
      const db = new Database(join(dir, "conveyor.sqlite3"), {
        readonly: true,
        ...nativeBindingOption(),
      });
      try {
        const count = db.prepare("SELECT count(*) AS n FROM schema_migrations").get() as {
          n: number;
        };
        assert.equal(count.n, SQLITE_MIGRATIONS.length);
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("processes claiming the same jobs on one file: each job has exactly one winner", async () => {
    const handle = await openTestStore("sqlite");
    opened.push(handle);
    const { store, target } = handle;
    const project = await store.projects.create(
      {
        path: "g/race",
        name: "race",
        description: "",
        defaultBranch: "main",
        visibility: "private",
      },
      1,
    );
    const plan = { created: true, stages: ["test"], jobs: [], variables: {}, errors: [] };
    const event = {
      source: "push",
      ref: { kind: "branch", name: "main" },
      commit: { sha: "a", beforeSha: "b", message: "", title: "" },
      project: { id: project.id, path: "g/race", serverUrl: "http://x", defaultBranch: "main" },
    } as never;
    const jobs: { pipelineId: number; jobId: number }[] = [];
    for (let jobId = 1; jobId <= 40; jobId++) {
      const pipeline = await store.pipelines.create(
        {
          projectId: project.id,
          ref: "main",
          tag: false,
          sha: "a",
          beforeSha: "b",
          source: "push",
          status: "pending",
          event,
          plan,
          createdAt: 1,
        },
        1,
      );
      await store.pipelines.recordStep({
        pipelineId: pipeline.id,
        seq: 0,
        event: { type: "start", now: 1 },
        newJobs: [
          {
            id: jobId,
            pipelineId: pipeline.id,
            projectId: project.id,
            name: "t",
            stage: "test",
            status: "pending",
            attempt: 1,
            retried: false,
            allowFailure: false,
            tags: [],
            timeoutSeconds: 60,
            cancelGracefully: false,
            createdAt: 1,
            updatedAt: 1,
            queuedAt: 1,
          },
        ],
        changedJobs: [],
        pipeline: { status: "pending", updatedAt: 1 },
      });
      jobs.push({ pipelineId: pipeline.id, jobId });
    }
    // Each process opens the store, says it is ready, and starts claiming once all are.
    const code = `const { openStore } = await import(process.env.STORE_MODULE);
      const { existsSync, writeFileSync } = await import("node:fs");
      const store = await openStore(process.env.DATA_DIR);
      const runnerId = Number(process.env.RUNNER_ID);
      writeFileSync(process.env.DATA_DIR + "/ready-" + runnerId, "");
      for (let waited = 0; ![1, 2, 3].every((id) => existsSync(process.env.DATA_DIR + "/ready-" + id)); waited++) {
        if (waited > 2000) throw new Error("the other processes did not start");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const won = [];
      for (const { pipelineId, jobId } of JSON.parse(process.env.JOBS)) {
        const claimed = await store.pipelines.recordStep({
          pipelineId, seq: 1, event: { type: "job-running", jobId, now: 2 }, newJobs: [],
          changedJobs: [{ id: jobId, status: "running" }],
          pipeline: { status: "running", updatedAt: 2 },
          claim: { jobId, runnerId, tokenDigest: "d-" + runnerId + "-" + jobId, cancelGracefully: false },
        });
        if (claimed) won.push(jobId);
      }
      await store.close();
      console.log(JSON.stringify(won));`;
    const outputs = await Promise.all(
      [1, 2, 3].map((runnerId) =>
        inAnotherProcess(code, {
          DATA_DIR: target,
          RUNNER_ID: String(runnerId),
          JOBS: JSON.stringify(jobs),
        }),
      ),
    );
    const won = outputs.map((out) => JSON.parse(out) as number[]);
    assert.deepEqual(
      won.flat().sort((a, b) => a - b),
      jobs.map((j) => j.jobId),
    );
    for (const [index, ids] of won.entries()) {
      for (const jobId of ids) assert.equal((await store.jobs.byId(jobId))?.runnerId, index + 1);
    }
    assert.deepEqual(await store.jobs.queue(100), []);
  });

  test("a SIGKILLed process loses nothing it acknowledged", { timeout: 60_000 }, async (t) => {
    const handle = await openTestStore("sqlite");
    opened.push(handle);
    await handle.store.close();
    // The child acknowledges each write on stdout once `set` has answered, until killed.
    const code = `const { openStore } = await import(process.env.STORE_MODULE);
      const store = await openStore(process.env.DATA_DIR);
      // Bounded, then idle: a parent that stops reading never makes this run away.
      for (let i = 0; i < 100000; i++) {
        await store.settings.set("key-" + i, "value-" + i);
        process.stdout.write(i + "\\n");
      }
      setInterval(() => {}, 1000);`;
    const flags = process.execArgv.filter((flag) => !flag.startsWith("--test"));
    const child = spawn(process.execPath, [...flags, "--input-type=module", "-e", code], {
      env: {
        ...process.env,
        DATA_DIR: handle.target,
        STORE_MODULE: new URL("./index.js", import.meta.url).href,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let acknowledged = -1;
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (data: string) => {
      buffered += data;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) if (/^\d+$/.test(line)) acknowledged = Number(line);
      if (acknowledged >= 300 && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
    });
    assert.equal(await exited, "SIGKILL");
    assert.ok(acknowledged >= 300, `acknowledged ${acknowledged}`);
    const store = await handle.reopen();
    for (let i = 0; i <= acknowledged; i++) {
      assert.equal(await store.settings.get(`key-${i}`), `value-${i}`, `write ${i}`);
    }
  });
});
