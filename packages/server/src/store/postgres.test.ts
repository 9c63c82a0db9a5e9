/**
 * The store contract on PostgreSQL, when CONVEYOR_TEST_DATABASE_URL names a database
 * (scripts/ci/start-postgres.sh starts one and prints its URL): each store gets a fresh
 * schema, dropped when the file's tests end. Without the variable the suite is reported
 * skipped, or fails when CONVEYOR_REQUIRE_POSTGRES=1 (CI that must test PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import pg from "pg";
import {
  createTestSchema,
  openTestStore,
  TEST_DATABASE_ENV,
  type TestStore,
} from "../testing/stores.js";
import { storeContract } from "./contract-suite.js";
import { openStore } from "./index.js";
import { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres/migrations.js";

const databaseUrl = process.env[TEST_DATABASE_ENV];
const SKIP_REASON = `set ${TEST_DATABASE_ENV} (scripts/ci/start-postgres.sh prints it)`;

if (!databaseUrl) {
  if (process.env.CONVEYOR_REQUIRE_POSTGRES === "1") {
    test("PostgreSQL store contract", () => {
      assert.fail(`CONVEYOR_REQUIRE_POSTGRES=1 but ${SKIP_REASON}`);
    });
  } else {
    test("PostgreSQL store contract", { skip: SKIP_REASON }, () => {});
  }
} else {
  const url = databaseUrl;
  const opened: TestStore[] = [];
  const drops: (() => Promise<void>)[] = [];
  after(async () => {
    await Promise.all(opened.map((handle) => handle.dispose()));
    for (const drop of drops) await drop();
  });

  storeContract("postgres", async () => {
    const handle = await openTestStore("postgres");
    opened.push(handle);
    return handle.store;
  });

  describe("postgres store", () => {
    test("postgres:// and postgresql:// URLs open PostgreSQL", async () => {
      const schema = await createTestSchema(url);
      drops.push(schema.drop);
      const store = await openStore(schema.target.replace(/^postgres:/, "postgresql:"));
      try {
        assert.equal(store.kind, "postgres");
      } finally {
        await store.close();
      }
    });

    test("stores opening a new schema at once apply each migration once", async () => {
      const schema = await createTestSchema(url);
      drops.push(schema.drop);
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(schema.target)));
      try {
        await stores[0]!.settings.set("k", "v");
        for (const store of stores) assert.equal(await store.settings.get("k"), "v");
      } finally {
        for (const store of stores) await store.close();
      }
      const client = new pg.Client({ connectionString: schema.target });
      await client.connect();
      try {
        const applied = await client.query(
          "SELECT version FROM schema_migrations ORDER BY version",
        );
        assert.deepEqual(
          applied.rows.map((row: { version: number }) => row.version),
          POSTGRES_MIGRATIONS.map((m) => m.version),
        );
      } finally {
        await client.end();
      }
    });

    test("migration 4 moves what settings remembered of jobs' environments, settling the ended jobs", async () => {
      const schema = await createTestSchema(url);
      drops.push(schema.drop);
      // A schema as the previous version left it: migrations 1 to 3, and its settings.
      const pool = new pg.Pool({ connectionString: schema.target, max: 1 });
      try {
        await migratePostgres(
          pool,
          POSTGRES_MIGRATIONS.filter((m) => m.version <= 3),
        );
        const run = (sql: string, ...values: unknown[]) => pool.query(sql, values);
        await run(`INSERT INTO projects (id, path, name, description, default_branch, visibility,
                     created_at) VALUES (1, 'g/app', 'app', '', 'main', 'private', 1)`);
        await run(`INSERT INTO pipelines (id, project_id, iid, ref, tag, sha, before_sha, source,
                     status, event, plan, created_at, updated_at)
                   VALUES (1, 1, 1, 'main', false, 'a', 'b', 'push', 'running', '{}', '{}', 1, 1)`);
        const job = (id: number, status: string, finishedAt: number | null) =>
          run(
            `INSERT INTO jobs (id, pipeline_id, project_id, name, stage, status, attempt, retried,
               allow_failure, tags, timeout_seconds, cancel_gracefully, created_at, updated_at,
               finished_at)
             VALUES ($1, 1, 1, $2, 'deploy', $3, 1, false, false, '[]', 60, false, 1, 7, $4)`,
            id,
            `job ${id}`,
            status,
            finishedAt,
          );
        await job(1, "success", 5);
        await job(2, "running", null);
        await job(3, "canceled", null);
        await run(`INSERT INTO environments (id, project_id, name, slug, tier, state, created_at,
                     updated_at) VALUES (4, 1, 'review', 'review', 'development', 'available', 1, 1)`);
        const remember = (key: string, value: string) =>
          run("INSERT INTO settings (key, value) VALUES ($1, $2)", key, value);
        await remember("job-environment:1", '{"environmentId":4,"action":"start"}');
        await remember("job-environment:2", '{"environmentId":4,"action":"stop"}');
        await remember("job-environment:3", '{"environmentId":4,"action":"prepare"}');
        await remember("job-environment:9", '{"environmentId":4,"action":"start"}'); // job gone
        await remember("other", "not json");
      } finally {
        await pool.end();
      }

      const store = await openStore(schema.target);
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
        assert.equal(await store.settings.get("other"), "not json");
      } finally {
        await store.close();
      }
    });

    test("many concurrent claims across stores: each job has exactly one winner", async () => {
      const handle = await openTestStore("postgres");
      opened.push(handle);
      const stores = [handle.store, await openStore(handle.target), await openStore(handle.target)];
      try {
        const store = handle.store;
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
        const jobCount = 20;
        const pipelines = [];
        for (let p = 0; p < jobCount; p++) {
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
          const jobId = p + 1;
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
          pipelines.push({ pipelineId: pipeline.id, jobId });
        }
        // Every store tries every job, all at once.
        const attempts = pipelines.flatMap(({ pipelineId, jobId }) =>
          stores.map((s, runnerId) =>
            s.pipelines
              .recordStep({
                pipelineId,
                seq: 1,
                event: { type: "job-running", jobId, now: 2 },
                newJobs: [],
                changedJobs: [{ id: jobId, status: "running" }],
                pipeline: { status: "running", updatedAt: 2 },
                claim: {
                  jobId,
                  runnerId: runnerId + 1,
                  tokenDigest: `d-${jobId}-${runnerId}`,
                  cancelGracefully: false,
                },
              })
              .then((won) => ({ jobId, runnerId: runnerId + 1, won })),
          ),
        );
        const results = await Promise.all(attempts);
        for (const { jobId } of pipelines) {
          const winners = results.filter((r) => r.jobId === jobId && r.won);
          assert.equal(winners.length, 1, `job ${jobId}: ${winners.length} winners`);
          assert.equal((await store.jobs.byId(jobId))?.runnerId, winners[0]!.runnerId);
        }
        assert.deepEqual(await store.jobs.queue(100), []);
      } finally {
        for (const s of stores.slice(1)) await s.close();
      }
    });
  });
}
