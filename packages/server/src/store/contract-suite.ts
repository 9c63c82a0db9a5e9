/**
 * The storage contract as tests: every Store implementation registers this suite
 * (sqlite.test.ts, postgres.test.ts) and must pass it unchanged. `open` gives a fresh, empty,
 * migrated store each call; the suite closes what it opens. The reopen tests open the same
 * target again through `openStore(storeTarget(store))`, so `open` must open through
 * `openStore` (as `openTestStore` does).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { EngineEvent } from "@conveyor/engine";
import { planYaml } from "@conveyor/engine/testing";
import type { PipelineEvent, Plan } from "@conveyor/pipeline";
import { deployStoreContract } from "./contract-suite-deploy.js";
import { environmentLifecycleContract } from "./contract-suite-environments.js";
import { jobEnvironmentContract } from "./contract-suite-job-environments.js";
import { openStore, storeTarget } from "./index.js";
import {
  ACCESS_LEVELS,
  type JobRecord,
  type NewPipeline,
  type NewRunner,
  type NewVariable,
  type PipelineRecord,
  type PipelineStep,
  type ProjectRecord,
  type Store,
  StoreConflict,
  type UserRecord,
} from "./types.js";

const NOW = 1_767_000_000_000;

const PIPELINE_YAML = `
stages: [build, test]
variables:
  ARCH: amd64
build:
  stage: build
  tags: [linux, "$ARCH"]
  script: [make]
  artifacts:
    paths: [out/]
test:
  stage: test
  script: [make test]
  when: manual
  allow_failure: true
`;

let sample: Promise<{ plan: Plan; event: PipelineEvent }> | undefined;

/** A real plan and event, made by the pipeline package (once per process). */
function samplePlan(): Promise<{ plan: Plan; event: PipelineEvent }> {
  sample ??= planYaml(PIPELINE_YAML, {});
  return sample;
}

interface Seed {
  user: UserRecord;
  project: ProjectRecord;
}

async function seed(store: Store, path = "group/app"): Promise<Seed> {
  const username = `owner-${path.replace(/\W/g, "-")}`;
  const user =
    (await store.users.byUsername(username)) ??
    (await store.users.create(
      { username, name: "Owner", email: `${username}@example.test`, admin: false },
      NOW,
    ));
  const project = await store.projects.create(
    {
      path,
      name: path.split("/").pop()!,
      description: "",
      defaultBranch: "main",
      visibility: "private",
    },
    NOW,
  );
  return { user, project };
}

async function newPipeline(
  store: Store,
  seeded: Seed,
  change: Partial<NewPipeline> = {},
): Promise<PipelineRecord> {
  const { plan, event } = await samplePlan();
  return store.pipelines.create(
    {
      projectId: seeded.project.id,
      ref: "main",
      tag: false,
      sha: "a".repeat(40),
      beforeSha: "0".repeat(40),
      source: "push",
      status: "created",
      userId: seeded.user.id,
      event,
      plan,
      createdAt: NOW,
      ...change,
    },
    NOW + 1,
  );
}

function job(pipeline: PipelineRecord, id: number, change: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    pipelineId: pipeline.id,
    projectId: pipeline.projectId,
    name: `job ${id}`,
    stage: "test",
    status: "created",
    attempt: 1,
    retried: false,
    allowFailure: false,
    tags: ["linux"],
    timeoutSeconds: 3600,
    cancelGracefully: false,
    createdAt: NOW,
    updatedAt: NOW,
    ...change,
  };
}

function step(
  pipeline: PipelineRecord,
  seq: number,
  parts: Partial<PipelineStep> = {},
): PipelineStep {
  const now = NOW + 1000 * (seq + 1);
  return {
    pipelineId: pipeline.id,
    seq,
    event: seq === 0 ? { type: "start", now } : { type: "tick", now },
    newJobs: [],
    changedJobs: [],
    pipeline: { status: "running", updatedAt: now },
    ...parts,
  };
}

/** A pipeline whose start created `jobs` (ids from 1), stored at seq 0. */
async function startedPipeline(
  store: Store,
  seeded: Seed,
  jobs: Partial<JobRecord>[],
  firstId = 1,
): Promise<{ pipeline: PipelineRecord; jobs: JobRecord[] }> {
  const pipeline = await newPipeline(store, seeded);
  const records = jobs.map((change, index) => job(pipeline, firstId + index, change));
  assert.equal(
    await store.pipelines.recordStep(
      step(pipeline, 0, { newJobs: records, pipeline: { status: "pending", updatedAt: NOW } }),
    ),
    true,
  );
  return { pipeline, jobs: records };
}

function claim(jobId: number, runnerId: number, tokenDigest = `job-token-digest-${runnerId}`) {
  return { jobId, runnerId, tokenDigest, cancelGracefully: true };
}

async function newRunner(store: Store, change: Partial<NewRunner> = {}) {
  return store.runners.create(
    {
      tokenDigest: `runner-digest-${Math.random().toString(36).slice(2)}`,
      description: "runner",
      tags: ["linux"],
      runUntagged: true,
      locked: false,
      paused: false,
      runnerType: "instance_type",
      projectIds: [],
      accessLevel: "not_protected",
      ...change,
    },
    NOW,
  );
}

function variable(change: Partial<NewVariable> = {}): NewVariable {
  return {
    key: "DEPLOY_TOKEN",
    valueCiphertext: "v1:ciphertext-one",
    variableType: "env_var",
    masked: true,
    protected: false,
    raw: false,
    environmentScope: "*",
    ...change,
  };
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

/** Asserts `promise` rejects with a StoreConflict whose message matches and leaks nothing. */
async function rejectsConflict(
  promise: Promise<unknown>,
  names: RegExp,
  secrets: string[] = [],
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreConflict, `expected a StoreConflict, got ${String(error)}`);
    assert.equal(error.name, "StoreConflict");
    assert.match(error.message, names);
    for (const secret of secrets) assert.ok(!error.message.includes(secret), error.message);
    return true;
  });
}

export function storeContract(label: string, open: () => Promise<Store>): void {
  /** Runs `body` on a fresh store, closing it afterwards. */
  const withStore = async (body: (store: Store) => Promise<void>) => {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  /** Opens the target of `store` again (a second connection, or a second process's view). */
  const reopen = (store: Store) => {
    const target = storeTarget(store);
    assert.ok(target, "the store under test must be opened through openStore");
    return openStore(target);
  };

  describe(`store contract: ${label}`, () => {
    test("kind names the implementation", () =>
      withStore(async (store) => {
        const postgres = /^postgres(ql)?:/i.test(storeTarget(store) ?? "");
        assert.equal(store.kind, postgres ? "postgres" : "sqlite");
      }));

    describe("users", () => {
      test("create, byId, byUsername and list round-trip", () =>
        withStore(async (store) => {
          const alice = await store.users.create(
            { username: "alice", name: "Alice", email: "alice@example.test", admin: true },
            NOW,
          );
          const bob = await store.users.create(
            { username: "bob", name: "Bob", email: "bob@example.test", admin: false },
            NOW + 1,
          );
          assert.deepEqual(alice, {
            id: alice.id,
            username: "alice",
            name: "Alice",
            email: "alice@example.test",
            admin: true,
            createdAt: NOW,
          });
          assert.notEqual(alice.id, bob.id);
          assert.deepEqual(await store.users.byId(bob.id), bob);
          assert.deepEqual(await store.users.byUsername("alice"), alice);
          assert.equal(await store.users.byUsername("carol"), undefined);
          assert.equal(await store.users.byId(9999), undefined);
          assert.deepEqual(await store.users.list(), [alice, bob]);
        }));

      test("a taken username is a StoreConflict naming the field", () =>
        withStore(async (store) => {
          const user = { username: "alice", name: "A", email: "a@example.test", admin: false };
          await store.users.create(user, NOW);
          await rejectsConflict(store.users.create(user, NOW), /username/);
          assert.equal((await store.users.list()).length, 1);
        }));
    });

    describe("access tokens", () => {
      test("create, byDigest and revoke", () =>
        withStore(async (store) => {
          const { user } = await seed(store);
          const token = await store.tokens.create(
            {
              userId: user.id,
              name: "ci",
              digest: "digest-1",
              scopes: ["api", "read_repository"],
              expiresAt: NOW + 86_400_000,
            },
            NOW,
          );
          assert.deepEqual(token, {
            id: token.id,
            userId: user.id,
            name: "ci",
            digest: "digest-1",
            scopes: ["api", "read_repository"],
            expiresAt: NOW + 86_400_000,
            revoked: false,
            createdAt: NOW,
          });
          const forever = await store.tokens.create(
            { userId: user.id, name: "forever", digest: "digest-2", scopes: [] },
            NOW,
          );
          assert.equal("expiresAt" in forever, false);
          assert.deepEqual(await store.tokens.byDigest("digest-2"), forever);
          await store.tokens.revoke(token.id);
          assert.deepEqual(await store.tokens.byDigest("digest-1"), { ...token, revoked: true });
          assert.equal((await store.tokens.byDigest("digest-2"))?.revoked, false);
          assert.equal(await store.tokens.byDigest("unknown"), undefined);
        }));

      test("a taken digest is a StoreConflict that does not show the digest", () =>
        withStore(async (store) => {
          const { user } = await seed(store);
          const digest = "5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269";
          await store.tokens.create({ userId: user.id, name: "a", digest, scopes: [] }, NOW);
          await rejectsConflict(
            store.tokens.create({ userId: user.id, name: "b", digest, scopes: [] }, NOW),
            /digest/,
            [digest],
          );
        }));
    });

    describe("projects", () => {
      test("create, byId, byPath, list and update", () =>
        withStore(async (store) => {
          const app = await store.projects.create(
            {
              path: "group/app",
              name: "app",
              description: "the app",
              defaultBranch: "main",
              visibility: "internal",
            },
            NOW,
          );
          assert.deepEqual(app, {
            id: app.id,
            path: "group/app",
            name: "app",
            description: "the app",
            defaultBranch: "main",
            visibility: "internal",
            createdAt: NOW,
          });
          const lib = (await seed(store, "group/lib")).project;
          assert.deepEqual(await store.projects.byId(app.id), app);
          assert.deepEqual(await store.projects.byPath("group/lib"), lib);
          assert.equal(await store.projects.byPath("group/none"), undefined);
          assert.deepEqual(await store.projects.list(), [app, lib]);

          const renamed = await store.projects.update(app.id, {
            name: "App",
            defaultBranch: "trunk",
          });
          assert.deepEqual(renamed, { ...app, name: "App", defaultBranch: "trunk" });
          assert.deepEqual(await store.projects.byId(app.id), renamed);
          assert.deepEqual(await store.projects.update(app.id, {}), renamed);
          assert.equal(await store.projects.update(9999, { name: "x" }), undefined);
        }));

      test("a taken path is a StoreConflict naming the path", () =>
        withStore(async (store) => {
          await seed(store, "group/app");
          await rejectsConflict(seed(store, "group/app"), /path/);
          assert.equal((await store.projects.list()).length, 1);
        }));

      test("members: set, replace, read, list and remove", () =>
        withStore(async (store) => {
          const { project, user } = await seed(store);
          const other = await store.users.create(
            { username: "dev", name: "Dev", email: "dev@example.test", admin: false },
            NOW,
          );
          await store.projects.setMember({
            projectId: project.id,
            userId: other.id,
            accessLevel: ACCESS_LEVELS.reporter,
          });
          await store.projects.setMember({
            projectId: project.id,
            userId: user.id,
            accessLevel: ACCESS_LEVELS.owner,
          });
          await store.projects.setMember({
            projectId: project.id,
            userId: other.id,
            accessLevel: ACCESS_LEVELS.developer,
          });
          assert.deepEqual(await store.projects.member(project.id, other.id), {
            projectId: project.id,
            userId: other.id,
            accessLevel: ACCESS_LEVELS.developer,
          });
          assert.deepEqual(
            (await store.projects.members(project.id)).map((m) => [m.userId, m.accessLevel]),
            [
              [user.id, ACCESS_LEVELS.owner],
              [other.id, ACCESS_LEVELS.developer],
            ].sort((a, b) => a[0]! - b[0]!),
          );
          await store.projects.removeMember(project.id, other.id);
          assert.equal(await store.projects.member(project.id, other.id), undefined);
          assert.deepEqual(
            (await store.projects.members(project.id)).map((m) => m.userId),
            [user.id],
          );
        }));

      test("delete removes the project and everything that belongs to it", () =>
        withStore(async (store) => {
          const doomed = await seed(store, "group/doomed");
          const kept = await seed(store, "group/kept");
          const { project } = doomed;
          await store.projects.setMember({
            projectId: project.id,
            userId: doomed.user.id,
            accessLevel: ACCESS_LEVELS.owner,
          });
          await store.variables.put(variable({ projectId: project.id }));
          await store.variables.put(variable({ projectId: kept.project.id }));
          const instanceVariable = await store.variables.put(variable());
          const hook = await store.hooks.create(
            {
              projectId: project.id,
              provider: "github",
              secretCiphertext: "v1:hook",
              cloneUrl: "https://example.test/app.git",
            },
            NOW,
          );
          const trigger = await store.triggers.create(
            {
              projectId: project.id,
              ownerId: doomed.user.id,
              description: "deploy",
              digest: "trigger-digest",
              hint: "glptt-ab",
            },
            NOW,
          );
          const schedule = await store.schedules.create(
            {
              projectId: project.id,
              ownerId: doomed.user.id,
              description: "nightly",
              ref: "main",
              cron: "0 1 * * *",
              cronTimezone: "UTC",
              active: true,
              variables: [],
              nextRunAt: NOW,
            },
            NOW,
          );
          const { pipeline, jobs } = await startedPipeline(
            store,
            doomed,
            [{ status: "pending", queuedAt: NOW }, { status: "created" }],
            20,
          );
          await store.traces.append(jobs[0]!.id, 0, bytes("log"));
          await store.artifacts.create({
            jobId: jobs[0]!.id,
            fileType: "archive",
            fileFormat: "zip",
            filename: "artifacts.zip",
            size: 3,
            sha256: "f".repeat(64),
            blobKey: "blob-1",
            expireAt: NOW - 1,
            createdAt: NOW,
          });
          const environment = await store.environments.ensure(
            {
              projectId: project.id,
              name: "production",
              slug: "production",
              tier: "production",
              state: "available",
              lastDeploymentJobId: jobs[0]!.id,
            },
            NOW,
          );
          const runner = await newRunner(store, {
            runnerType: "project_type",
            projectIds: [project.id, kept.project.id],
          });
          const keptPipeline = await startedPipeline(store, kept, [{ status: "pending" }], 10);

          await store.projects.delete(project.id);

          assert.equal(await store.projects.byId(project.id), undefined);
          assert.equal(await store.projects.byPath("group/doomed"), undefined);
          assert.deepEqual(await store.projects.members(project.id), []);
          assert.deepEqual(await store.variables.list(project.id), []);
          assert.equal((await store.variables.list(kept.project.id)).length, 1);
          assert.deepEqual(await store.variables.list(), [instanceVariable]);
          assert.equal(await store.hooks.byId(hook.id), undefined);
          assert.deepEqual(await store.hooks.ofProject(project.id), []);
          assert.equal(await store.triggers.byDigest(trigger.digest), undefined);
          assert.deepEqual(await store.triggers.ofProject(project.id), []);
          assert.equal(await store.schedules.byId(schedule.id), undefined);
          assert.deepEqual(await store.schedules.due(NOW), []);
          assert.equal(await store.environments.byId(environment.id), undefined);
          assert.deepEqual(await store.environments.ofProject(project.id), []);
          assert.equal(await store.pipelines.byId(pipeline.id), undefined);
          assert.deepEqual(await store.pipelines.list(project.id), []);
          assert.deepEqual(await store.pipelines.events(pipeline.id), []);
          assert.equal(await store.jobs.byId(jobs[0]!.id), undefined);
          assert.deepEqual(await store.jobs.ofProject(project.id), []);
          assert.deepEqual(
            (await store.jobs.queue(10)).map((j) => j.id),
            [keptPipeline.jobs[0]!.id],
          );
          assert.equal(await store.traces.size(jobs[0]!.id), 0);
          assert.deepEqual(await store.artifacts.ofJob(jobs[0]!.id), []);
          assert.deepEqual(await store.artifacts.expired(NOW), []);
          assert.deepEqual((await store.runners.byId(runner.id))?.projectIds, [kept.project.id]);
          assert.ok(await store.users.byId(doomed.user.id), "users outlive projects");
          assert.ok(await store.pipelines.byId(keptPipeline.pipeline.id));
          // Job ids are never handed out twice, even once their jobs are gone.
          assert.equal(await store.pipelines.maxJobId(), 21);
        }));
    });

    describe("runners", () => {
      test("create, byId, byTokenDigest, list, update, touch and delete", () =>
        withStore(async (store) => {
          const a = (await seed(store, "group/a")).project;
          const b = (await seed(store, "group/b")).project;
          const shared = await newRunner(store, { tokenDigest: "runner-1" });
          const own = await store.runners.create(
            {
              tokenDigest: "runner-2",
              description: "project runner",
              tags: ["docker", "arm64"],
              runUntagged: false,
              locked: true,
              paused: false,
              runnerType: "project_type",
              projectIds: [b.id, a.id],
              accessLevel: "ref_protected",
              maximumTimeout: 600,
            },
            NOW,
          );
          assert.deepEqual(own, {
            id: own.id,
            tokenDigest: "runner-2",
            description: "project runner",
            tags: ["docker", "arm64"],
            runUntagged: false,
            locked: true,
            paused: false,
            runnerType: "project_type",
            projectIds: [b.id, a.id],
            accessLevel: "ref_protected",
            maximumTimeout: 600,
            createdAt: NOW,
          });
          assert.equal("maximumTimeout" in shared, false);
          assert.deepEqual(shared.projectIds, []);
          assert.deepEqual(await store.runners.byId(own.id), own);
          assert.deepEqual(await store.runners.byTokenDigest("runner-1"), shared);
          assert.deepEqual(await store.runners.list(), [shared, own]);

          const updated = await store.runners.update(own.id, {
            tags: ["docker"],
            paused: true,
            description: "renamed",
            tokenDigest: "runner-2b",
          });
          assert.deepEqual(updated, {
            ...own,
            tags: ["docker"],
            paused: true,
            description: "renamed",
            tokenDigest: "runner-2b",
          });
          assert.equal(await store.runners.byTokenDigest("runner-2"), undefined);
          assert.deepEqual(await store.runners.byTokenDigest("runner-2b"), updated);
          assert.equal(await store.runners.update(9999, { paused: true }), undefined);

          const info = {
            name: "gitlab-runner",
            version: "17.5.0",
            features: { trace_checksum: true },
          };
          await store.runners.touch(own.id, NOW + 10, info);
          assert.deepEqual(await store.runners.byId(own.id), {
            ...updated,
            contactedAt: NOW + 10,
            info,
          });
          await store.runners.touch(own.id, NOW + 20);
          assert.deepEqual(await store.runners.byId(own.id), {
            ...updated,
            contactedAt: NOW + 20,
            info,
          });

          await store.runners.delete(shared.id);
          assert.equal(await store.runners.byId(shared.id), undefined);
          assert.deepEqual(
            (await store.runners.list()).map((r) => r.id),
            [own.id],
          );
        }));

      test("a taken token digest is a StoreConflict that does not show the digest", () =>
        withStore(async (store) => {
          const digest = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
          const first = await newRunner(store, { tokenDigest: digest });
          await rejectsConflict(newRunner(store, { tokenDigest: digest }), /token digest/, [
            digest,
          ]);
          const second = await newRunner(store);
          await rejectsConflict(
            store.runners.update(second.id, { tokenDigest: digest }),
            /token digest/,
            [digest],
          );
          assert.deepEqual(await store.runners.byTokenDigest(digest), first);
        }));
    });

    describe("pipelines", () => {
      test("create fills event.pipelineId/pipelineIid; iids count per project", () =>
        withStore(async (store) => {
          const app = await seed(store, "group/app");
          const lib = await seed(store, "group/lib");
          const { plan, event } = await samplePlan();
          const first = await newPipeline(store, app);
          const other = await newPipeline(store, lib, { ref: "dev", tag: false });
          const second = await newPipeline(store, app, {
            ref: "v1.0",
            tag: true,
            source: "web",
            startedAt: NOW + 5,
          });
          assert.deepEqual([first.iid, second.iid, other.iid], [1, 2, 1]);
          assert.equal(new Set([first.id, second.id, other.id]).size, 3);
          assert.deepEqual(first, {
            id: first.id,
            projectId: app.project.id,
            iid: 1,
            ref: "main",
            tag: false,
            sha: "a".repeat(40),
            beforeSha: "0".repeat(40),
            source: "push",
            status: "created",
            userId: app.user.id,
            event: { ...event, pipelineId: first.id, pipelineIid: 1 },
            plan,
            createdAt: NOW,
            updatedAt: NOW + 1,
          });
          assert.equal(second.tag, true);
          assert.equal(second.startedAt, NOW + 5);
          assert.deepEqual(second.event, { ...event, pipelineId: second.id, pipelineIid: 2 });
          assert.deepEqual(await store.pipelines.byId(first.id), first);
          assert.deepEqual(await store.pipelines.byId(second.id), second);
          assert.equal(await store.pipelines.byId(9999), undefined);
          const anonymous = await newPipeline(store, app, { userId: undefined });
          assert.equal("userId" in anonymous, false);
        }));

      test("create for a missing project fails and allocates nothing", () =>
        withStore(async (store) => {
          const app = await seed(store);
          await assert.rejects(
            newPipeline(store, { ...app, project: { ...app.project, id: 9999 } }),
          );
          assert.equal((await newPipeline(store, app)).iid, 1);
        }));

      test("list: newest first, by ref and status, with limit and offset", () =>
        withStore(async (store) => {
          const app = await seed(store, "group/app");
          const lib = await seed(store, "group/lib");
          const p1 = await newPipeline(store, app, { ref: "main", status: "success" });
          const p2 = await newPipeline(store, app, { ref: "dev", status: "failed" });
          const p3 = await newPipeline(store, app, { ref: "main", status: "running" });
          await newPipeline(store, lib);
          const ids = (list: PipelineRecord[]) => list.map((p) => p.id);
          assert.deepEqual(ids(await store.pipelines.list(app.project.id)), [p3.id, p2.id, p1.id]);
          assert.deepEqual(ids(await store.pipelines.list(app.project.id, { ref: "main" })), [
            p3.id,
            p1.id,
          ]);
          assert.deepEqual(ids(await store.pipelines.list(app.project.id, { status: "failed" })), [
            p2.id,
          ]);
          assert.deepEqual(
            ids(await store.pipelines.list(app.project.id, { ref: "main", status: "success" })),
            [p1.id],
          );
          assert.deepEqual(ids(await store.pipelines.list(app.project.id, { limit: 2 })), [
            p3.id,
            p2.id,
          ]);
          assert.deepEqual(
            ids(await store.pipelines.list(app.project.id, { limit: 1, offset: 1 })),
            [p2.id],
          );
          assert.deepEqual(ids(await store.pipelines.list(app.project.id, { offset: 2 })), [p1.id]);
          assert.deepEqual(await store.pipelines.list(9999), []);
        }));

      test("active: pipelines not in a final state, oldest first", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const statuses = ["running", "success", "manual", "failed", "created", "canceled"];
          const made: PipelineRecord[] = [];
          for (const status of statuses) {
            made.push(
              await newPipeline(store, app, { status: status as PipelineRecord["status"] }),
            );
          }
          const skipped = await newPipeline(store, app, { status: "pending" });
          await store.pipelines.recordStep(
            step(skipped, 0, { pipeline: { status: "skipped", updatedAt: NOW } }),
          );
          assert.deepEqual(
            (await store.pipelines.active()).map((p) => p.status),
            ["running", "manual", "created"],
          );
          assert.deepEqual(
            (await store.pipelines.active()).map((p) => p.id),
            [made[0]!.id, made[2]!.id, made[4]!.id],
          );
        }));

      test("recordStep stores the event, new jobs, changed jobs and pipeline status together", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const pipeline = await newPipeline(store, app);
          const build = job(pipeline, 7, {
            name: "build",
            stage: "build",
            status: "pending",
            tags: ["linux", "amd64"],
            queuedAt: NOW + 1000,
          });
          const manual = job(pipeline, 8, {
            name: "test",
            status: "manual",
            allowFailure: true,
          });
          const start: EngineEvent = { type: "start", now: NOW + 1000 };
          assert.equal(
            await store.pipelines.recordStep({
              pipelineId: pipeline.id,
              seq: 0,
              event: start,
              newJobs: [build, manual],
              changedJobs: [],
              pipeline: { status: "pending", updatedAt: NOW + 1000 },
            }),
            true,
          );
          assert.deepEqual(await store.jobs.ofPipeline(pipeline.id), [build, manual]);
          assert.deepEqual(await store.pipelines.byId(pipeline.id), {
            ...pipeline,
            status: "pending",
            updatedAt: NOW + 1000,
          });

          const running: EngineEvent = { type: "job-running", jobId: 7, now: NOW + 2000 };
          assert.equal(
            await store.pipelines.recordStep({
              pipelineId: pipeline.id,
              seq: 1,
              event: running,
              newJobs: [],
              changedJobs: [{ id: 7, status: "running", startedAt: NOW + 2000 }],
              pipeline: { status: "running", updatedAt: NOW + 2000, startedAt: NOW + 2000 },
            }),
            true,
          );
          const finished: EngineEvent = {
            type: "job-finished",
            jobId: 7,
            result: { state: "failed", failure_reason: "script_failure", exit_code: 2 },
            now: NOW + 3000,
          };
          const retry = job(pipeline, 9, {
            name: "build",
            stage: "build",
            status: "pending",
            attempt: 2,
            queuedAt: NOW + 3000,
            createdAt: NOW + 3000,
            updatedAt: NOW + 3000,
          });
          assert.equal(
            await store.pipelines.recordStep({
              pipelineId: pipeline.id,
              seq: 2,
              event: finished,
              newJobs: [retry],
              changedJobs: [
                {
                  id: 7,
                  status: "failed",
                  retried: true,
                  failureReason: "script_failure",
                  exitCode: 2,
                  finishedAt: NOW + 3000,
                },
                { id: 8, allowFailure: false },
              ],
              pipeline: { status: "running", updatedAt: NOW + 3000 },
            }),
            true,
          );
          assert.deepEqual(await store.pipelines.events(pipeline.id), [start, running, finished]);
          assert.deepEqual(await store.jobs.byId(7), {
            ...build,
            status: "failed",
            retried: true,
            failureReason: "script_failure",
            exitCode: 2,
            startedAt: NOW + 2000,
            finishedAt: NOW + 3000,
            updatedAt: NOW + 3000,
          });
          assert.deepEqual(await store.jobs.byId(8), {
            ...manual,
            allowFailure: false,
            updatedAt: NOW + 3000,
          });
          assert.deepEqual(await store.jobs.byId(9), retry);
          // startedAt stays when a later step does not name it.
          assert.deepEqual(await store.pipelines.byId(pipeline.id), {
            ...pipeline,
            status: "running",
            updatedAt: NOW + 3000,
            startedAt: NOW + 2000,
          });

          // A change naming an optional field with undefined clears it (a retried job's
          // failure reason, for instance).
          await store.pipelines.recordStep(
            step(pipeline, 3, {
              changedJobs: [{ id: 7, failureReason: undefined, exitCode: undefined }],
              pipeline: { status: "failed", updatedAt: NOW + 4000, finishedAt: NOW + 4000 },
            }),
          );
          const cleared = await store.jobs.byId(7);
          assert.equal(cleared && "failureReason" in cleared, false);
          assert.equal(cleared && "exitCode" in cleared, false);
          assert.equal(cleared?.status, "failed");
          assert.equal((await store.pipelines.byId(pipeline.id))?.finishedAt, NOW + 4000);
          assert.equal(await store.pipelines.maxJobId(), 9);
        }));

      test("a taken seq rejects and writes nothing", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const { pipeline, jobs } = await startedPipeline(store, app, [
            { status: "pending", queuedAt: NOW },
          ]);
          const before = await store.pipelines.byId(pipeline.id);
          await rejectsConflict(
            store.pipelines.recordStep(
              step(pipeline, 0, {
                event: { type: "cancel", now: NOW + 5000 },
                newJobs: [job(pipeline, 2)],
                changedJobs: [{ id: jobs[0]!.id, status: "canceled" }],
                pipeline: { status: "canceled", updatedAt: NOW + 5000 },
              }),
            ),
            /seq/,
          );
          assert.deepEqual(await store.pipelines.events(pipeline.id), [
            { type: "start", now: NOW + 1000 },
          ]);
          assert.deepEqual(await store.jobs.ofPipeline(pipeline.id), jobs);
          assert.deepEqual(await store.pipelines.byId(pipeline.id), before);
          // A step with a taken seq and a claim does not bind the runner either.
          await assert.rejects(
            store.pipelines.recordStep(
              step(pipeline, 0, {
                changedJobs: [{ id: jobs[0]!.id, status: "running" }],
                claim: claim(jobs[0]!.id, 1),
              }),
            ),
            StoreConflict,
          );
          assert.deepEqual(await store.jobs.byId(jobs[0]!.id), jobs[0]);
          assert.deepEqual(
            (await store.jobs.queue(10)).map((j) => j.id),
            [jobs[0]!.id],
          );
        }));

      test("a claim binds the runner to a pending job once", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const { pipeline, jobs } = await startedPipeline(store, app, [
            { status: "pending", queuedAt: NOW },
            { status: "created" },
          ]);
          const target = jobs[0]!;
          const won = await store.pipelines.recordStep(
            step(pipeline, 1, {
              event: { type: "job-running", jobId: target.id, now: NOW + 2000 },
              changedJobs: [{ id: target.id, status: "running", startedAt: NOW + 2000 }],
              claim: claim(target.id, 41, "token-digest-41"),
            }),
          );
          assert.equal(won, true);
          const held = await store.jobs.byId(target.id);
          assert.deepEqual(held, {
            ...target,
            status: "running",
            startedAt: NOW + 2000,
            runnerId: 41,
            tokenDigest: "token-digest-41",
            cancelGracefully: true,
            updatedAt: NOW + 2000,
          });
          // Claiming it again (another runner, next seq): refused, nothing written.
          const lost = await store.pipelines.recordStep(
            step(pipeline, 2, {
              changedJobs: [{ id: jobs[1]!.id, status: "pending" }],
              claim: claim(target.id, 42),
              pipeline: { status: "failed", updatedAt: NOW + 9000 },
            }),
          );
          assert.equal(lost, false);
          assert.deepEqual(await store.jobs.byId(target.id), held);
          assert.deepEqual(await store.jobs.byId(jobs[1]!.id), jobs[1]);
          assert.equal((await store.pipelines.events(pipeline.id)).length, 2);
          assert.equal((await store.pipelines.byId(pipeline.id))?.status, "running");
          // A job that is not pending cannot be claimed.
          assert.equal(
            await store.pipelines.recordStep(step(pipeline, 2, { claim: claim(jobs[1]!.id, 43) })),
            false,
          );
          assert.equal((await store.jobs.byId(jobs[1]!.id))?.runnerId, undefined);
          // The seq a refused claim did not use is still free.
          assert.equal(
            await store.pipelines.recordStep(
              step(pipeline, 2, {
                changedJobs: [{ id: jobs[1]!.id, status: "pending", queuedAt: NOW + 3000 }],
              }),
            ),
            true,
          );
          // A job claimed but still pending (its runner has not started it) is not free.
          assert.equal(
            await store.pipelines.recordStep(step(pipeline, 3, { claim: claim(jobs[1]!.id, 44) })),
            true,
          );
          assert.equal(
            await store.pipelines.recordStep(step(pipeline, 4, { claim: claim(jobs[1]!.id, 45) })),
            false,
          );
          assert.equal((await store.jobs.byId(jobs[1]!.id))?.runnerId, 44);
          assert.equal((await store.jobs.byId(jobs[1]!.id))?.status, "pending");
        }));

      test("two concurrent claims of one job: exactly one wins", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const { pipeline, jobs } = await startedPipeline(store, app, [
            { status: "pending", queuedAt: NOW },
          ]);
          const jobId = jobs[0]!.id;
          const attempt = (runnerId: number) =>
            store.pipelines.recordStep(
              step(pipeline, 1, {
                event: { type: "job-running", jobId, now: NOW + 2000 },
                changedJobs: [{ id: jobId, status: "running", startedAt: NOW + 2000 }],
                claim: claim(jobId, runnerId),
              }),
            );
          const results = await Promise.all([attempt(1), attempt(2)]);
          assert.equal(results.filter(Boolean).length, 1, `results: ${results}`);
          const winner = results[0] ? 1 : 2;
          const held = await store.jobs.byId(jobId);
          assert.equal(held?.runnerId, winner);
          assert.equal(held?.tokenDigest, `job-token-digest-${winner}`);
          assert.equal((await store.pipelines.events(pipeline.id)).length, 2);
          assert.deepEqual(await store.jobs.queue(10), []);
        }));

      test("two stores on one target: concurrent claims of one job, exactly one wins", async () => {
        const first = await open();
        const second = await reopen(first);
        try {
          const app = await seed(first);
          const { pipeline, jobs } = await startedPipeline(first, app, [
            { status: "pending", queuedAt: NOW },
            { status: "pending", queuedAt: NOW + 1 },
          ]);
          for (const [seq, job] of jobs.entries()) {
            const attempt = (store: Store, runnerId: number) =>
              store.pipelines.recordStep(
                step(pipeline, seq + 1, {
                  changedJobs: [{ id: job.id, status: "running" }],
                  claim: claim(job.id, runnerId),
                }),
              );
            const results = await Promise.all([attempt(first, 1), attempt(second, 2)]);
            assert.equal(results.filter(Boolean).length, 1, `results: ${results}`);
            assert.equal((await second.jobs.byId(job.id))?.runnerId, results[0] ? 1 : 2);
          }
          assert.equal((await first.pipelines.events(pipeline.id)).length, 3);
        } finally {
          await second.close();
          await first.close();
        }
      });

      test("maxJobId: 0 when empty, then the largest id used", () =>
        withStore(async (store) => {
          assert.equal(await store.pipelines.maxJobId(), 0);
          const app = await seed(store);
          await startedPipeline(store, app, [{}, {}, {}], 40);
          assert.equal(await store.pipelines.maxJobId(), 42);
        }));
    });

    describe("jobs", () => {
      test("byTokenDigest finds the held job; clearToken forgets the token only", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const { pipeline, jobs } = await startedPipeline(store, app, [
            { status: "pending", queuedAt: NOW },
          ]);
          const jobId = jobs[0]!.id;
          assert.equal(await store.jobs.byTokenDigest("job-token-digest-5"), undefined);
          await store.pipelines.recordStep(
            step(pipeline, 1, {
              changedJobs: [{ id: jobId, status: "running" }],
              claim: claim(jobId, 5),
            }),
          );
          const held = await store.jobs.byTokenDigest("job-token-digest-5");
          assert.equal(held?.id, jobId);
          assert.equal(held?.runnerId, 5);
          await store.jobs.clearToken(jobId);
          assert.equal(await store.jobs.byTokenDigest("job-token-digest-5"), undefined);
          const { tokenDigest: _gone, ...rest } = held!;
          assert.deepEqual(await store.jobs.byId(jobId), rest);
          assert.equal(await store.jobs.byId(9999), undefined);
        }));

      test("ofPipeline in creation order; ofProject newest first with filters", () =>
        withStore(async (store) => {
          const app = await seed(store, "group/app");
          const lib = await seed(store, "group/lib");
          const one = await startedPipeline(store, app, [
            { status: "success" },
            { status: "failed" },
          ]);
          const two = await startedPipeline(store, app, [{ status: "running" }], 3);
          await startedPipeline(store, lib, [{ status: "failed" }], 4);
          const ids = (list: JobRecord[]) => list.map((j) => j.id);
          assert.deepEqual(ids(await store.jobs.ofPipeline(one.pipeline.id)), [1, 2]);
          assert.deepEqual(ids(await store.jobs.ofPipeline(two.pipeline.id)), [3]);
          assert.deepEqual(ids(await store.jobs.ofProject(app.project.id)), [3, 2, 1]);
          assert.deepEqual(
            ids(await store.jobs.ofProject(app.project.id, { statuses: ["failed", "running"] })),
            [3, 2],
          );
          assert.deepEqual(
            ids(await store.jobs.ofProject(app.project.id, { statuses: ["failed"] })),
            [2],
          );
          assert.deepEqual(ids(await store.jobs.ofProject(app.project.id, { limit: 1 })), [3]);
          assert.deepEqual(
            ids(await store.jobs.ofProject(app.project.id, { limit: 1, offset: 1 })),
            [2],
          );
          assert.deepEqual(ids(await store.jobs.ofProject(app.project.id, { offset: 2 })), [1]);
          assert.deepEqual(ids(await store.jobs.ofProject(lib.project.id)), [4]);
        }));

      test("queue: pending jobs without a runner, oldest queuedAt first, up to the limit", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const { pipeline } = await startedPipeline(store, app, [
            { status: "pending", queuedAt: NOW + 30 },
            { status: "created" },
            { status: "pending", queuedAt: NOW + 10 },
            { status: "running", queuedAt: NOW },
            { status: "pending", queuedAt: NOW + 20 },
            { status: "manual" },
          ]);
          const ids = (list: JobRecord[]) => list.map((j) => j.id);
          assert.deepEqual(ids(await store.jobs.queue(10)), [3, 5, 1]);
          assert.deepEqual(ids(await store.jobs.queue(2)), [3, 5]);
          await store.pipelines.recordStep(step(pipeline, 1, { claim: claim(3, 1) }));
          // Claimed but still pending (the runner has not started it): no longer queued.
          assert.deepEqual(ids(await store.jobs.queue(10)), [5, 1]);
          await store.pipelines.recordStep(
            step(pipeline, 2, {
              changedJobs: [{ id: 2, status: "pending", queuedAt: NOW + 25 }],
            }),
          );
          assert.deepEqual(ids(await store.jobs.queue(10)), [5, 2, 1]);
        }));

      test("stale: held running/canceling jobs last updated before the time; touch renews", () =>
        withStore(async (store) => {
          const app = await seed(store);
          const { pipeline } = await startedPipeline(store, app, [
            { status: "pending", queuedAt: NOW },
            { status: "pending", queuedAt: NOW },
            { status: "pending", queuedAt: NOW },
            { status: "running", updatedAt: NOW },
          ]);
          // Job 1 held and running since NOW+2000, job 2 held and canceling since NOW+3000,
          // job 3 held but still pending, job 4 running without a runner.
          await store.pipelines.recordStep(
            step(pipeline, 1, {
              changedJobs: [{ id: 1, status: "running" }],
              claim: claim(1, 1),
            }),
          );
          await store.pipelines.recordStep(
            step(pipeline, 2, {
              changedJobs: [{ id: 2, status: "canceling" }],
              claim: claim(2, 1),
            }),
          );
          await store.pipelines.recordStep(step(pipeline, 3, { claim: claim(3, 1) }));
          const ids = (list: JobRecord[]) => list.map((j) => j.id);
          assert.deepEqual(ids(await store.jobs.stale(NOW + 2000)), []);
          assert.deepEqual(ids(await store.jobs.stale(NOW + 2001)), [1]);
          assert.deepEqual(ids(await store.jobs.stale(NOW + 10_000)), [1, 2]);
          await store.jobs.touch(1, NOW + 20_000);
          assert.equal((await store.jobs.byId(1))?.updatedAt, NOW + 20_000);
          assert.deepEqual(ids(await store.jobs.stale(NOW + 10_000)), [2]);
        }));
    });

    describe("traces", () => {
      test("append at the stored length; a wrong offset changes nothing", () =>
        withStore(async (store) => {
          const app = await seed(store);
          await startedPipeline(store, app, [{ status: "running" }, { status: "running" }]);
          assert.equal(await store.traces.size(1), 0);
          assert.deepEqual(await store.traces.append(1, 5, bytes("late")), { ok: false, size: 0 });
          assert.deepEqual(await store.traces.append(1, 0, bytes("hello ")), {
            ok: true,
            size: 6,
          });
          assert.deepEqual(await store.traces.append(1, 6, bytes("world\n")), {
            ok: true,
            size: 12,
          });
          // A repeated or skipped patch is refused with the length to resume from.
          assert.deepEqual(await store.traces.append(1, 6, bytes("again")), {
            ok: false,
            size: 12,
          });
          assert.deepEqual(await store.traces.append(1, 0, bytes("again")), {
            ok: false,
            size: 12,
          });
          assert.deepEqual(await store.traces.append(1, 13, bytes("gap")), {
            ok: false,
            size: 12,
          });
          assert.deepEqual(await store.traces.append(1, 12, new Uint8Array()), {
            ok: true,
            size: 12,
          });
          assert.equal(text(await store.traces.read(1)), "hello world\n");
          assert.equal(await store.traces.size(1), 12);
          assert.equal(await store.traces.size(2), 0);
          assert.equal((await store.traces.read(2)).byteLength, 0);
        }));

      test("concurrent appends at one offset: exactly one applies", () =>
        withStore(async (store) => {
          const app = await seed(store);
          await startedPipeline(store, app, [{ status: "running" }]);
          await store.traces.append(1, 0, bytes("start\n"));
          const results = await Promise.all([
            store.traces.append(1, 6, bytes("one\n")),
            store.traces.append(1, 6, bytes("two!\n")),
          ]);
          assert.equal(results.filter((r) => r.ok).length, 1);
          const size = await store.traces.size(1);
          const log = text(await store.traces.read(1));
          assert.ok(log === "start\none\n" || log === "start\ntwo!\n", log);
          assert.equal(size, Buffer.byteLength(log));
        }));

      test("read gives byte ranges across chunks, clipped to the length", () =>
        withStore(async (store) => {
          const app = await seed(store);
          await startedPipeline(store, app, [{ status: "running" }]);
          const parts = ["abc", "defgh", "i", "jklmnop"];
          let offset = 0;
          for (const part of parts) {
            assert.equal((await store.traces.append(1, offset, bytes(part))).ok, true);
            offset += part.length;
          }
          const all = parts.join("");
          const range = async (from?: number, to?: number) =>
            text(await store.traces.read(1, from, to));
          assert.equal(await range(), all);
          assert.equal(await range(0, 3), "abc");
          assert.equal(await range(2, 9), all.slice(2, 9));
          assert.equal(await range(4, 5), "e");
          assert.equal(await range(8), all.slice(8));
          assert.equal(await range(9, 16), all.slice(9, 16));
          assert.equal(await range(10, 100), all.slice(10));
          assert.equal(await range(16), "");
          assert.equal(await range(5, 5), "");
          assert.equal(await range(7, 3), "");
        }));

      test("binary bytes round-trip", () =>
        withStore(async (store) => {
          const app = await seed(store);
          await startedPipeline(store, app, [{ status: "running" }]);
          const data = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
          // A view into a larger buffer: only the viewed bytes are appended.
          const backing = new Uint8Array(600);
          backing.set(data, 40);
          await store.traces.append(1, 0, backing.subarray(40, 40 + 256));
          await store.traces.append(1, 256, data.subarray(256));
          assert.deepEqual(Uint8Array.from(await store.traces.read(1)), data);
          assert.deepEqual(
            Uint8Array.from(await store.traces.read(1, 250, 260)),
            data.slice(250, 260),
          );
        }));
    });

    describe("artifacts", () => {
      test("create, ofJob, expired and delete", () =>
        withStore(async (store) => {
          const app = await seed(store);
          await startedPipeline(store, app, [{ status: "success" }, { status: "success" }]);
          const archive = await store.artifacts.create({
            jobId: 1,
            fileType: "archive",
            fileFormat: "zip",
            filename: "artifacts.zip",
            size: 1234,
            sha256: "a".repeat(64),
            blobKey: "ab/cdef",
            expireAt: NOW + 100,
            createdAt: NOW,
          });
          assert.deepEqual(archive, {
            id: archive.id,
            jobId: 1,
            fileType: "archive",
            fileFormat: "zip",
            filename: "artifacts.zip",
            size: 1234,
            sha256: "a".repeat(64),
            blobKey: "ab/cdef",
            expireAt: NOW + 100,
            createdAt: NOW,
          });
          const junit = await store.artifacts.create({
            jobId: 1,
            fileType: "junit",
            fileFormat: "gzip",
            filename: "junit.xml.gz",
            size: 10,
            sha256: "b".repeat(64),
            blobKey: "cd/ef",
            expireAt: NOW + 50,
            createdAt: NOW,
          });
          const kept = await store.artifacts.create({
            jobId: 2,
            fileType: "archive",
            fileFormat: "zip",
            filename: "artifacts.zip",
            size: 1,
            sha256: "c".repeat(64),
            blobKey: "ef/01",
            createdAt: NOW,
          });
          assert.equal("expireAt" in kept, false);
          assert.deepEqual(await store.artifacts.ofJob(1), [archive, junit]);
          assert.deepEqual(await store.artifacts.ofJob(2), [kept]);
          assert.deepEqual(await store.artifacts.expired(NOW + 50), []);
          assert.deepEqual(await store.artifacts.expired(NOW + 51), [junit]);
          assert.deepEqual(await store.artifacts.expired(NOW + 1_000_000), [junit, archive]);
          await store.artifacts.delete(junit.id);
          assert.deepEqual(await store.artifacts.ofJob(1), [archive]);
          assert.deepEqual(await store.artifacts.expired(NOW + 1_000_000), [archive]);
        }));
    });

    describe("variables", () => {
      test("put, get, list and delete, for a project and for the instance", () =>
        withStore(async (store) => {
          const { project } = await seed(store);
          const projectVariable = await store.variables.put(
            variable({ projectId: project.id, description: "deploys" }),
          );
          assert.deepEqual(projectVariable, {
            id: projectVariable.id,
            projectId: project.id,
            key: "DEPLOY_TOKEN",
            valueCiphertext: "v1:ciphertext-one",
            variableType: "env_var",
            masked: true,
            protected: false,
            raw: false,
            environmentScope: "*",
            description: "deploys",
          });
          const instance = await store.variables.put(
            variable({ valueCiphertext: "v1:instance", variableType: "file", raw: true }),
          );
          assert.equal("projectId" in instance, false);
          assert.equal("description" in instance, false);
          assert.deepEqual(await store.variables.list(project.id), [projectVariable]);
          assert.deepEqual(await store.variables.list(), [instance]);
          assert.deepEqual(await store.variables.get(project.id, "DEPLOY_TOKEN"), projectVariable);
          assert.deepEqual(await store.variables.get(undefined, "DEPLOY_TOKEN", "*"), instance);
          assert.equal(await store.variables.get(project.id, "OTHER"), undefined);
          assert.equal(
            await store.variables.get(project.id, "DEPLOY_TOKEN", "production"),
            undefined,
          );

          await store.variables.delete(projectVariable.id);
          assert.deepEqual(await store.variables.list(project.id), []);
          assert.deepEqual(await store.variables.list(), [instance]);
        }));

      test("put replaces the variable with the same project, key and scope", () =>
        withStore(async (store) => {
          const { project } = await seed(store);
          const first = await store.variables.put(variable({ projectId: project.id }));
          const production = await store.variables.put(
            variable({
              projectId: project.id,
              environmentScope: "production",
              valueCiphertext: "v1:prod",
            }),
          );
          const replaced = await store.variables.put(
            variable({
              projectId: project.id,
              valueCiphertext: "v1:ciphertext-two",
              masked: false,
              protected: true,
              description: "now described",
            }),
          );
          assert.deepEqual(replaced, {
            ...first,
            valueCiphertext: "v1:ciphertext-two",
            masked: false,
            protected: true,
            description: "now described",
          });
          assert.deepEqual(await store.variables.list(project.id), [replaced, production]);
          assert.deepEqual(
            await store.variables.get(project.id, "DEPLOY_TOKEN", "production"),
            production,
          );
          // Without a scope, the `*` variable answers.
          assert.deepEqual(await store.variables.get(project.id, "DEPLOY_TOKEN"), replaced);

          const instance = await store.variables.put(variable());
          const instanceAgain = await store.variables.put(variable({ valueCiphertext: "v1:new" }));
          assert.equal(instanceAgain.id, instance.id);
          assert.deepEqual(await store.variables.list(), [instanceAgain]);
          assert.deepEqual(await store.variables.list(project.id), [replaced, production]);
        }));
    });

    describe("settings", () => {
      test("get, set and overwrite", () =>
        withStore(async (store) => {
          assert.equal(await store.settings.get("registration_token_digest"), undefined);
          await store.settings.set("registration_token_digest", "d1");
          await store.settings.set("secrets_schema", "1");
          assert.equal(await store.settings.get("registration_token_digest"), "d1");
          await store.settings.set("registration_token_digest", "d2");
          assert.equal(await store.settings.get("registration_token_digest"), "d2");
          assert.equal(await store.settings.get("secrets_schema"), "1");
          await store.settings.set("empty", "");
          assert.equal(await store.settings.get("empty"), "");
        }));
    });

    describe("trigger tokens", () => {
      test("create, byDigest, ofProject, used and delete", () =>
        withStore(async (store) => {
          const { project, user } = await seed(store);
          const other = (await seed(store, "group/other")).project;
          const trigger = await store.triggers.create(
            {
              projectId: project.id,
              ownerId: user.id,
              description: "deploy",
              digest: "trigger-1",
              hint: "glptt-abcd",
            },
            NOW,
          );
          assert.deepEqual(trigger, {
            id: trigger.id,
            projectId: project.id,
            ownerId: user.id,
            description: "deploy",
            digest: "trigger-1",
            hint: "glptt-abcd",
            createdAt: NOW,
          });
          const second = await store.triggers.create(
            {
              projectId: project.id,
              ownerId: user.id,
              description: "",
              digest: "trigger-2",
              hint: "glptt-ef",
            },
            NOW,
          );
          await store.triggers.create(
            {
              projectId: other.id,
              ownerId: user.id,
              description: "",
              digest: "trigger-3",
              hint: "glptt-gh",
            },
            NOW,
          );
          assert.deepEqual(await store.triggers.byDigest("trigger-1"), trigger);
          assert.deepEqual(await store.triggers.ofProject(project.id), [trigger, second]);
          await store.triggers.used(trigger.id, NOW + 60);
          assert.deepEqual(await store.triggers.byDigest("trigger-1"), {
            ...trigger,
            lastUsedAt: NOW + 60,
          });
          await store.triggers.delete(trigger.id);
          assert.equal(await store.triggers.byDigest("trigger-1"), undefined);
          assert.deepEqual(await store.triggers.ofProject(project.id), [second]);
          await rejectsConflict(
            store.triggers.create(
              {
                projectId: project.id,
                ownerId: user.id,
                description: "",
                digest: "trigger-2",
                hint: "",
              },
              NOW,
            ),
            /digest/,
            ["trigger-2"],
          );
        }));
    });

    describe("schedules", () => {
      test("create, byId, ofProject, due, update and delete", () =>
        withStore(async (store) => {
          const { project, user } = await seed(store);
          const base = {
            projectId: project.id,
            ownerId: user.id,
            ref: "main",
            cron: "0 1 * * *",
            cronTimezone: "Europe/Berlin",
            active: true,
          };
          const nightly = await store.schedules.create(
            {
              ...base,
              description: "nightly",
              variables: [
                { key: "MODE", value: "full", variableType: "env_var" },
                { key: "CONFIG", value: "a=1\nb=2\n", variableType: "file" },
              ],
              nextRunAt: NOW + 100,
            },
            NOW,
          );
          assert.deepEqual(nightly, {
            id: nightly.id,
            ...base,
            description: "nightly",
            variables: [
              { key: "MODE", value: "full", variableType: "env_var" },
              { key: "CONFIG", value: "a=1\nb=2\n", variableType: "file" },
            ],
            nextRunAt: NOW + 100,
            createdAt: NOW,
            updatedAt: NOW,
          });
          const early = await store.schedules.create(
            { ...base, description: "early", variables: [], nextRunAt: NOW + 50 },
            NOW,
          );
          const inactive = await store.schedules.create(
            { ...base, description: "off", active: false, variables: [], nextRunAt: NOW },
            NOW,
          );
          const unplanned = await store.schedules.create(
            { ...base, description: "unplanned", variables: [] },
            NOW,
          );
          assert.equal("nextRunAt" in unplanned, false);
          assert.deepEqual(await store.schedules.byId(nightly.id), nightly);
          assert.deepEqual(
            (await store.schedules.ofProject(project.id)).map((s) => s.id),
            [nightly.id, early.id, inactive.id, unplanned.id],
          );
          const due = async (now: number) => (await store.schedules.due(now)).map((s) => s.id);
          assert.deepEqual(await due(NOW + 49), []);
          assert.deepEqual(await due(NOW + 50), [early.id]);
          assert.deepEqual(await due(NOW + 1000), [early.id, nightly.id]);

          const { pipeline } = await startedPipeline(store, { project, user }, []);
          const ran = await store.schedules.update(
            nightly.id,
            { nextRunAt: NOW + 86_400_000, lastPipelineId: pipeline.id },
            NOW + 200,
          );
          assert.deepEqual(ran, {
            ...nightly,
            nextRunAt: NOW + 86_400_000,
            lastPipelineId: pipeline.id,
            updatedAt: NOW + 200,
          });
          assert.deepEqual(await due(NOW + 1000), [early.id]);
          const paused = await store.schedules.update(
            early.id,
            {
              active: false,
              nextRunAt: undefined,
              variables: [{ key: "X", value: "1", variableType: "env_var" }],
            },
            NOW + 300,
          );
          assert.equal(paused?.active, false);
          assert.equal(paused && "nextRunAt" in paused, false);
          assert.deepEqual(paused?.variables, [{ key: "X", value: "1", variableType: "env_var" }]);
          assert.deepEqual(await due(NOW + 1_000_000_000), [nightly.id]);
          assert.equal(await store.schedules.update(9999, { active: true }, NOW), undefined);

          await store.schedules.delete(nightly.id);
          assert.equal(await store.schedules.byId(nightly.id), undefined);
          assert.deepEqual(await due(NOW + 1_000_000_000), []);
        }));
    });

    describe("inbound hooks", () => {
      test("create, byId, ofProject and delete", () =>
        withStore(async (store) => {
          const { project } = await seed(store);
          const hook = await store.hooks.create(
            {
              projectId: project.id,
              provider: "gitea",
              secretCiphertext: "v1:secret",
              cloneUrl: "https://gitea.example.test/org/app.git",
            },
            NOW,
          );
          assert.deepEqual(hook, {
            id: hook.id,
            projectId: project.id,
            provider: "gitea",
            secretCiphertext: "v1:secret",
            cloneUrl: "https://gitea.example.test/org/app.git",
            createdAt: NOW,
          });
          const second = await store.hooks.create(
            { projectId: project.id, provider: "gitlab", secretCiphertext: "v1:s2", cloneUrl: "x" },
            NOW,
          );
          assert.deepEqual(await store.hooks.byId(hook.id), hook);
          assert.deepEqual(await store.hooks.ofProject(project.id), [hook, second]);
          await store.hooks.delete(hook.id);
          assert.equal(await store.hooks.byId(hook.id), undefined);
          assert.deepEqual(await store.hooks.ofProject(project.id), [second]);
        }));
    });

    describe("environments", () => {
      test("ensure creates once and then answers the existing one unchanged", () =>
        withStore(async (store) => {
          const { project } = await seed(store);
          const other = (await seed(store, "group/other")).project;
          const staging = await store.environments.ensure(
            {
              projectId: project.id,
              name: "review/feature-x",
              slug: "review-feat-abc123",
              externalUrl: "https://x.example.test",
              tier: "development",
              state: "available",
            },
            NOW,
          );
          assert.deepEqual(staging, {
            id: staging.id,
            projectId: project.id,
            name: "review/feature-x",
            slug: "review-feat-abc123",
            externalUrl: "https://x.example.test",
            tier: "development",
            state: "available",
            impersonate: false,
            protected: false,
            createdAt: NOW,
            updatedAt: NOW,
          });
          const again = await store.environments.ensure(
            {
              projectId: project.id,
              name: "review/feature-x",
              slug: "other",
              tier: "production",
              state: "stopped",
            },
            NOW + 10,
          );
          assert.deepEqual(again, staging);
          const elsewhere = await store.environments.ensure(
            {
              projectId: other.id,
              name: "review/feature-x",
              slug: "review-feat-abc123",
              tier: "development",
              state: "available",
            },
            NOW,
          );
          assert.notEqual(elsewhere.id, staging.id);
          assert.deepEqual(await store.environments.ofProject(project.id), [staging]);
          assert.deepEqual(await store.environments.byId(elsewhere.id), elsewhere);
        }));

      test("update and delete", () =>
        withStore(async (store) => {
          const seeded = await seed(store);
          const { project } = seeded;
          await startedPipeline(store, seeded, [{ status: "success" }]);
          const production = await store.environments.ensure(
            {
              projectId: project.id,
              name: "production",
              slug: "production",
              externalUrl: "https://old.example.test",
              tier: "production",
              state: "available",
            },
            NOW,
          );
          const deployed = await store.environments.update(
            production.id,
            { lastDeploymentJobId: 1, externalUrl: "https://app.example.test" },
            NOW + 100,
          );
          assert.deepEqual(deployed, {
            ...production,
            lastDeploymentJobId: 1,
            externalUrl: "https://app.example.test",
            updatedAt: NOW + 100,
          });
          const stopped = await store.environments.update(
            production.id,
            { state: "stopped", externalUrl: undefined },
            NOW + 200,
          );
          assert.equal(stopped?.state, "stopped");
          assert.equal(stopped && "externalUrl" in stopped, false);
          assert.deepEqual(await store.environments.byId(production.id), stopped);
          assert.equal(await store.environments.update(9999, { state: "stopped" }, NOW), undefined);
          await store.environments.delete(production.id);
          assert.equal(await store.environments.byId(production.id), undefined);
          assert.deepEqual(await store.environments.ofProject(project.id), []);
        }));

      describe("lifecycle", () => environmentLifecycleContract({ withStore }));

      describe("job environments and recovery", () =>
        jobEnvironmentContract({
          withStore,
          jobs: async (store, jobs) => {
            const seeded = await seed(store);
            const started = await startedPipeline(store, seeded, jobs);
            return {
              projectId: seeded.project.id,
              pipelineId: started.pipeline.id,
              jobs: started.jobs,
            };
          },
        }));
    });

    describe("deploy system", () => deployStoreContract({ withStore, open, reopen }));

    describe("persistence", () => {
      test("close and open the same target: the data is there, events in order", async () => {
        const store = await open();
        let closedFirst = false;
        try {
          const seeded = await seed(store);
          const { pipeline, jobs } = await startedPipeline(store, seeded, [
            { status: "pending", queuedAt: NOW },
          ]);
          const events: EngineEvent[] = [{ type: "start", now: NOW + 1000 }];
          for (let seq = 1; seq < 30; seq++) {
            const event: EngineEvent = { type: "tick", now: NOW + 1000 + seq };
            events.push(event);
            await store.pipelines.recordStep(step(pipeline, seq, { event }));
          }
          await store.traces.append(jobs[0]!.id, 0, bytes("line 1\n"));
          await store.traces.append(jobs[0]!.id, 7, bytes("line 2\n"));
          await store.settings.set("k", "v");
          const token = await store.tokens.create(
            { userId: seeded.user.id, name: "t", digest: "dg", scopes: ["api"] },
            NOW,
          );
          const savedPipeline = await store.pipelines.byId(pipeline.id);
          await store.close();
          closedFirst = true;

          const again = await reopen(store);
          try {
            assert.deepEqual(await again.projects.byId(seeded.project.id), seeded.project);
            assert.deepEqual(await again.users.byId(seeded.user.id), seeded.user);
            assert.deepEqual(await again.tokens.byDigest("dg"), token);
            assert.deepEqual(await again.pipelines.byId(pipeline.id), savedPipeline);
            assert.deepEqual(await again.pipelines.events(pipeline.id), events);
            assert.deepEqual(await again.jobs.ofPipeline(pipeline.id), jobs);
            assert.equal(text(await again.traces.read(jobs[0]!.id)), "line 1\nline 2\n");
            assert.equal(await again.settings.get("k"), "v");
            assert.equal(await again.pipelines.maxJobId(), 1);
            // Sequences continue where they were.
            assert.equal((await newPipeline(again, seeded)).iid, 2);
            assert.deepEqual(await again.traces.append(jobs[0]!.id, 14, bytes("3")), {
              ok: true,
              size: 15,
            });
          } finally {
            await again.close();
          }
        } finally {
          if (!closedFirst) await store.close();
        }
      });

      test("opening an up-to-date target again migrates nothing and keeps the data", async () => {
        const store = await open();
        const second = await reopen(store);
        try {
          await seed(store);
          const third = await reopen(store);
          try {
            assert.equal((await third.projects.list()).length, 1);
            assert.equal((await second.projects.list()).length, 1);
          } finally {
            await third.close();
          }
        } finally {
          await second.close();
          await store.close();
        }
      });

      test("close is idempotent", async () => {
        const store = await open();
        await store.close();
        await store.close();
      });
    });
  });
}
