/**
 * The environment lifecycle's part of the storage contract (registered by contract-suite.ts,
 * so SQLite and PostgreSQL run it alike): `auto_stop_at` kept and cleared, state changes
 * guarded by the current state, the auto-stop query, and deployments keeping their job's
 * `on_stop` and `auto_stop_in`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EnvironmentRecord, NewEnvironment, ProjectRecord, Store } from "./types.js";

const NOW = 1_767_000_000_000;
const HOUR = 3_600_000;

export interface EnvironmentContractKit {
  /** Runs `body` on a fresh store, closing it afterwards. */
  withStore: (body: (store: Store) => Promise<void>) => Promise<void>;
}

async function project(store: Store, path = "group/lifecycle"): Promise<ProjectRecord> {
  return store.projects.create(
    { path, name: path, description: "", defaultBranch: "main", visibility: "private" },
    NOW,
  );
}

function environment(
  projectId: number,
  name: string,
  change: Partial<NewEnvironment> = {},
): NewEnvironment {
  return {
    projectId,
    name,
    slug: name.replace(/\W/g, "-"),
    tier: "other",
    state: "available",
    ...change,
  };
}

export function environmentLifecycleContract({ withStore }: EnvironmentContractKit): void {
  test("auto_stop_at is kept by ensure, set and cleared by update", () =>
    withStore(async (store) => {
      const { id: projectId } = await project(store);
      const review = await store.environments.ensure(
        environment(projectId, "review/a", { autoStopAt: NOW + HOUR }),
        NOW,
      );
      assert.equal(review.autoStopAt, NOW + HOUR);
      assert.deepEqual(await store.environments.byId(review.id), review);
      const later = await store.environments.update(
        review.id,
        { autoStopAt: NOW + 2 * HOUR },
        NOW + 1,
      );
      assert.equal(later?.autoStopAt, NOW + 2 * HOUR);
      const cleared = await store.environments.update(
        review.id,
        { autoStopAt: undefined },
        NOW + 2,
      );
      assert.ok(cleared);
      assert.equal("autoStopAt" in cleared, false);
      const plain = await store.environments.ensure(environment(projectId, "staging"), NOW);
      assert.equal("autoStopAt" in plain, false);
    }));

  test("update with `from` changes only an environment in one of those states", () =>
    withStore(async (store) => {
      const { id: projectId } = await project(store);
      const review = await store.environments.ensure(environment(projectId, "review/b"), NOW);
      const stopping = await store.environments.update(
        review.id,
        { state: "stopping", autoStopAt: undefined },
        NOW + 10,
        ["available"],
      );
      assert.equal(stopping?.state, "stopping");
      assert.equal(stopping?.updatedAt, NOW + 10);
      // A second stop finds it no longer available: nothing is written.
      assert.equal(
        await store.environments.update(review.id, { state: "stopped" }, NOW + 20, ["available"]),
        undefined,
      );
      assert.equal(
        await store.environments.update(review.id, { state: "stopped" }, NOW + 20, []),
        undefined,
      );
      assert.deepEqual(await store.environments.byId(review.id), stopping);
      const stopped = await store.environments.update(review.id, { state: "stopped" }, NOW + 30, [
        "available",
        "stopping",
      ]);
      assert.deepEqual(stopped, { ...stopping, state: "stopped", updatedAt: NOW + 30 });
      assert.equal(
        await store.environments.update(9999, { state: "stopped" }, NOW, ["available"]),
        undefined,
      );
    }));

  test("autoStopDue answers available environments whose auto_stop_at passed, soonest first", () =>
    withStore(async (store) => {
      const { id: projectId } = await project(store);
      const other = await project(store, "group/other");
      const make = async (name: string, change: Partial<NewEnvironment>, owner = projectId) =>
        store.environments.ensure(environment(owner, name, change), NOW);
      const late = await make("review/late", { autoStopAt: NOW + 5 * HOUR });
      const second = await make("review/second", { autoStopAt: NOW + 2 * HOUR });
      const first = await make("review/first", { autoStopAt: NOW + HOUR });
      const elsewhere = await make("review/x", { autoStopAt: NOW + 3 * HOUR }, other.id);
      const exact = await make("review/exact", { autoStopAt: NOW + 4 * HOUR });
      await make("review/stopping", { autoStopAt: NOW, state: "stopping" });
      await make("review/stopped", { autoStopAt: NOW, state: "stopped" });
      await make("review/forever", {});
      const ids = (found: EnvironmentRecord[]) => found.map((e) => e.id);
      assert.deepEqual(ids(await store.environments.autoStopDue(NOW)), []);
      assert.deepEqual(ids(await store.environments.autoStopDue(NOW + 4 * HOUR)), [
        first.id,
        second.id,
        elsewhere.id,
        exact.id,
      ]);
      assert.deepEqual(ids(await store.environments.autoStopDue(NOW + 9 * HOUR, 2)), [
        first.id,
        second.id,
      ]);
      assert.deepEqual(await store.environments.autoStopDue(NOW + HOUR), [first]);
      await store.environments.update(first.id, { state: "stopping" }, NOW + HOUR);
      assert.deepEqual(ids(await store.environments.autoStopDue(NOW + 9 * HOUR)), [
        second.id,
        elsewhere.id,
        exact.id,
        late.id,
      ]);
    }));

  test("deployments keep their job's on_stop and auto_stop_in", () =>
    withStore(async (store) => {
      const { id: projectId } = await project(store);
      const review = await store.environments.ensure(environment(projectId, "review/c"), NOW);
      const common = {
        projectId,
        environmentId: review.id,
        status: "running" as const,
        source: "job" as const,
        ref: "feature",
        sha: "a".repeat(40),
        tag: false,
        pipelineId: 1,
      };
      const deployed = await store.deployments.create(
        { ...common, jobId: 11, onStop: "stop_review", autoStopIn: "1 day" },
        NOW,
      );
      assert.equal(deployed.onStop, "stop_review");
      assert.equal(deployed.autoStopIn, "1 day");
      const plain = await store.deployments.create({ ...common, jobId: 12 }, NOW);
      assert.equal("onStop" in plain, false);
      assert.equal("autoStopIn" in plain, false);
      assert.deepEqual(await store.deployments.ofJob(11), [deployed]);
      const finished = await store.deployments.update(
        deployed.id,
        { status: "success", finishedAt: NOW + 5 },
        NOW + 5,
      );
      assert.equal(finished?.onStop, "stop_review");
      assert.deepEqual(await store.deployments.lastSuccessful(review.id), finished);
    }));
}
