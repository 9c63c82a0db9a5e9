/**
 * What lets a restarted server finish the records a stopped one left behind, as part of the
 * storage contract (registered by contract-suite.ts, so SQLite and PostgreSQL run it alike):
 * the durable note of each job's environment (`jobEnvironments`: remembered, re-pointed,
 * settled once, the unsettled ends of ended jobs in the order they finished), the environments
 * left `stopping`, the deployments their job moved past (`behindJobs`), and `skipped`
 * deployments.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  DeploymentRecord,
  EnvironmentRecord,
  JobRecord,
  NewDeployment,
  Store,
} from "./types.js";

const NOW = 1_767_000_000_000;

export interface JobEnvironmentContractKit {
  /** Runs `body` on a fresh store, closing it afterwards. */
  withStore: (body: (store: Store) => Promise<void>) => Promise<void>;
  /** A project with one pipeline whose first step created these jobs (ids from 1). */
  jobs: (
    store: Store,
    jobs: Partial<JobRecord>[],
  ) => Promise<{ projectId: number; pipelineId: number; jobs: JobRecord[] }>;
}

async function environments(
  store: Store,
  projectId: number,
  ...names: string[]
): Promise<EnvironmentRecord[]> {
  const out: EnvironmentRecord[] = [];
  for (const name of names) {
    out.push(
      await store.environments.ensure(
        { projectId, name, slug: name.replace(/\W/g, "-"), tier: "other", state: "available" },
        NOW,
      ),
    );
  }
  return out;
}

export function jobEnvironmentContract({ withStore, jobs }: JobEnvironmentContractKit): void {
  test("jobEnvironments: remembered, re-pointed, settled once; ended lists unsettled ends by finish", () =>
    withStore(async (store) => {
      const made = await jobs(store, [
        { status: "success", finishedAt: NOW + 30 },
        { status: "failed", finishedAt: NOW + 10 },
        { status: "running" },
        { status: "skipped", finishedAt: NOW + 20 },
        { status: "manual" },
        { status: "canceled", finishedAt: NOW + 40 },
      ]);
      const [review, staging] = await environments(store, made.projectId, "review", "staging");
      const ids = made.jobs.map((job) => job.id);
      for (const id of ids)
        await store.jobEnvironments.remember({
          jobId: id,
          environmentId: review!.id,
          action: id === 2 ? "stop" : "start",
        });
      assert.deepEqual(await store.jobEnvironments.ofJob(2), {
        jobId: 2,
        environmentId: review!.id,
        action: "stop",
      });
      assert.equal(await store.jobEnvironments.ofJob(99), undefined);

      // Ended jobs only (running and manual ones are not), in the order they finished.
      const ended = async () => (await store.jobEnvironments.ended()).map((r) => r.jobId);
      assert.deepEqual(await ended(), [2, 4, 1, 6]);
      assert.deepEqual(
        (await store.jobEnvironments.ended(2)).map((r) => r.jobId),
        [2, 4],
      );

      await store.jobEnvironments.settle(4, NOW + 50);
      await store.jobEnvironments.settle(4, NOW + 60);
      assert.deepEqual(await store.jobEnvironments.ofJob(4), {
        jobId: 4,
        environmentId: review!.id,
        action: "start",
        settledAt: NOW + 50,
      });
      assert.deepEqual(await ended(), [2, 1, 6]);

      // Remembering again re-points the job and keeps what was settled.
      await store.jobEnvironments.remember({
        jobId: 4,
        environmentId: staging!.id,
        action: "verify",
      });
      assert.deepEqual(await store.jobEnvironments.ofJob(4), {
        jobId: 4,
        environmentId: staging!.id,
        action: "verify",
        settledAt: NOW + 50,
      });
      await store.jobEnvironments.remember({
        jobId: 1,
        environmentId: staging!.id,
        action: "start",
      });
      assert.equal((await store.jobEnvironments.ofJob(1))?.environmentId, staging!.id);
      assert.deepEqual(await ended(), [2, 1, 6]);

      // An environment's deletion takes its jobs' notes with it.
      await store.environments.delete(review!.id);
      assert.equal(await store.jobEnvironments.ofJob(2), undefined);
      assert.deepEqual(await ended(), [1]);
    }));

  test("environments.stopping answers the environments in `stopping`, by id", () =>
    withStore(async (store) => {
      const { projectId } = await jobs(store, []);
      const [a, b, c, d] = await environments(store, projectId, "a", "b", "c", "d");
      await store.environments.update(c!.id, { state: "stopping" }, NOW + 1);
      await store.environments.update(a!.id, { state: "stopping" }, NOW + 1);
      await store.environments.update(d!.id, { state: "stopped" }, NOW + 1);
      assert.deepEqual(
        (await store.environments.stopping()).map((e) => e.name),
        ["a", "c"],
      );
      assert.deepEqual(
        (await store.environments.stopping(1)).map((e) => e.id),
        [a!.id],
      );
      assert.equal((await store.environments.byId(b!.id))?.state, "available");
    }));

  test("deployments.behindJobs answers the deployments their job moved past, with its status", () =>
    withStore(async (store) => {
      const made = await jobs(store, [
        { status: "success" },
        { status: "running" },
        { status: "pending" },
        { status: "skipped" },
        { status: "canceling" },
        { status: "failed" },
        { status: "manual" },
      ]);
      const [environment] = await environments(store, made.projectId, "production");
      const deployment = (change: Partial<NewDeployment>): Promise<DeploymentRecord> =>
        store.deployments.create(
          {
            projectId: made.projectId,
            environmentId: environment!.id,
            status: "created",
            source: "job",
            tag: false,
            pipelineId: made.pipelineId,
            ...change,
          },
          NOW,
        );
      const behind = [
        await deployment({ jobId: 1, status: "running" }), // job ended
        await deployment({ jobId: 2 }), // job runs, deployment still created
        await deployment({ jobId: 4 }), // job skipped
        await deployment({ jobId: 5 }), // job being canceled, deployment still created
        await deployment({ jobId: 6, source: "deploy" }), // engine deployment queued, job ended
      ];
      await deployment({ jobId: 2, status: "running" }); // in step
      await deployment({ jobId: 3 }); // job not started
      await deployment({ jobId: 7 }); // manual job not played
      await deployment({ jobId: 1, status: "success" }); // finished
      await deployment({ jobId: 6, status: "running", source: "deploy" }); // the engine's
      await deployment({ source: "api" }); // no job
      const skipped = await deployment({ jobId: 4, status: "skipped" }); // finished
      assert.equal(skipped.status, "skipped");
      assert.deepEqual(await store.deployments.byId(skipped.id), skipped);

      const found = await store.deployments.behindJobs();
      assert.deepEqual(
        found.map((b) => [b.deployment.id, b.jobStatus]),
        [
          [behind[0]!.id, "success"],
          [behind[1]!.id, "running"],
          [behind[2]!.id, "skipped"],
          [behind[3]!.id, "canceling"],
          [behind[4]!.id, "failed"],
        ],
      );
      assert.deepEqual(found[0]!.deployment, behind[0]);
      assert.deepEqual(
        (await store.deployments.behindJobs(2)).map((b) => b.deployment.id),
        [behind[0]!.id, behind[1]!.id],
      );

      await store.deployments.update(behind[2]!.id, { status: "skipped" }, NOW + 1, ["created"]);
      assert.equal((await store.deployments.behindJobs()).length, 4);
      assert.deepEqual(
        (await store.deployments.list(made.projectId, { status: "skipped" })).map((d) => d.id),
        [behind[2]!.id, skipped.id],
      );
    }));
}
