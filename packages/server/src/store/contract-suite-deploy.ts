/**
 * The deploy system's part of the storage contract (registered by contract-suite.ts, so SQLite
 * and PostgreSQL run it alike): clusters, resource sets with content-addressed versions,
 * deployments with their per-project iids, the per-environment queue, and durable logs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RenderedVersion } from "@conveyor/deploy";
import {
  type DeploymentRecord,
  type NewDeployment,
  type ProjectRecord,
  type Store,
  StoreConflict,
  type UserRecord,
} from "./types.js";

const NOW = 1_767_000_000_000;

export interface DeployContractKit {
  /** Runs `body` on a fresh store, closing it afterwards. */
  withStore: (body: (store: Store) => Promise<void>) => Promise<void>;
  /** A fresh store (the caller closes it). */
  open: () => Promise<Store>;
  /** Opens the target of `store` again. */
  reopen: (store: Store) => Promise<Store>;
}

async function seed(store: Store, path = "group/app") {
  const username = `deployer-${path.replace(/\W/g, "-")}`;
  const user: UserRecord =
    (await store.users.byUsername(username)) ??
    (await store.users.create(
      { username, name: "Deployer", email: `${username}@example.test`, admin: false },
      NOW,
    ));
  const project: ProjectRecord = await store.projects.create(
    { path, name: path, description: "", defaultBranch: "main", visibility: "private" },
    NOW,
  );
  const environment = await store.environments.ensure(
    {
      projectId: project.id,
      name: "production",
      slug: "production",
      tier: "production",
      state: "available",
    },
    NOW,
  );
  return { user, project, environment };
}

function rendered(tag: string): RenderedVersion {
  return {
    digest: `sha256:${tag.padEnd(64, "0")}`,
    source: {
      kind: "plain",
      files: [{ path: "k8s/app.yml", content: `image: app:${tag}\n` }],
      values: { image_id: `app:${tag}` },
    },
    objects: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", labels: { tag } },
        spec: { replicas: 2 },
      },
    ],
  };
}

function newDeployment(
  seeded: { project: ProjectRecord; environment: { id: number } },
  change: Partial<NewDeployment> = {},
): NewDeployment {
  return {
    projectId: seeded.project.id,
    environmentId: seeded.environment.id,
    status: "created",
    source: "deploy",
    tag: false,
    ...change,
  };
}

export function deployStoreContract({ withStore, open, reopen }: DeployContractKit): void {
  describe("clusters", () => {
    test("create, list per project and instance, names unique per owner, delete unlinks environments", () =>
      withStore(async (store) => {
        const { project, environment } = await seed(store);
        const cluster = await store.clusters.create(
          {
            projectId: project.id,
            name: "prod",
            credentialKind: "token",
            credentialsCiphertext: "v1.sealed",
          },
          NOW,
        );
        assert.deepEqual(cluster, {
          id: cluster.id,
          projectId: project.id,
          name: "prod",
          credentialKind: "token",
          credentialsCiphertext: "v1.sealed",
          createdAt: NOW,
        });
        const instance = await store.clusters.create(
          { name: "prod", credentialKind: "kubeconfig", credentialsCiphertext: "v1.other" },
          NOW,
        );
        assert.equal("projectId" in instance, false);
        await assert.rejects(
          store.clusters.create(
            {
              projectId: project.id,
              name: "prod",
              credentialKind: "token",
              credentialsCiphertext: "v1.secret-ciphertext",
            },
            NOW,
          ),
          (error: unknown) =>
            error instanceof StoreConflict &&
            /cluster name/.test(error.message) &&
            !error.message.includes("v1.secret-ciphertext"),
        );
        await assert.rejects(
          store.clusters.create(
            { name: "prod", credentialKind: "token", credentialsCiphertext: "x" },
            NOW,
          ),
          StoreConflict,
        );
        assert.deepEqual(await store.clusters.list(project.id), [cluster]);
        assert.deepEqual(await store.clusters.list(), [instance]);
        assert.deepEqual(await store.clusters.byId(cluster.id), cluster);

        const linked = await store.environments.update(
          environment.id,
          { clusterId: cluster.id, namespace: "shop", impersonate: true, protected: true },
          NOW + 1,
        );
        assert.equal(linked?.clusterId, cluster.id);
        assert.equal(linked?.namespace, "shop");
        assert.equal(linked?.impersonate, true);
        assert.equal(linked?.protected, true);
        await store.clusters.delete(cluster.id);
        assert.equal(await store.clusters.byId(cluster.id), undefined);
        const after = await store.environments.byId(environment.id);
        assert.equal(after && "clusterId" in after, false);
        assert.equal(after?.namespace, "shop");
      }));
  });

  describe("resource sets", () => {
    test("create, ensure, byName, names unique per project", () =>
      withStore(async (store) => {
        const { project } = await seed(store);
        const other = (await seed(store, "group/other")).project;
        const web = await store.resourceSets.create(
          { projectId: project.id, name: "web", description: "the shop" },
          NOW,
        );
        assert.deepEqual(web, {
          id: web.id,
          projectId: project.id,
          name: "web",
          description: "the shop",
          createdAt: NOW,
        });
        assert.deepEqual(
          await store.resourceSets.ensure(
            { projectId: project.id, name: "web", description: "ignored" },
            NOW + 5,
          ),
          web,
        );
        await assert.rejects(
          store.resourceSets.create({ projectId: project.id, name: "web", description: "" }, NOW),
          /resource set name is taken/,
        );
        const elsewhere = await store.resourceSets.ensure(
          { projectId: other.id, name: "web", description: "" },
          NOW,
        );
        assert.notEqual(elsewhere.id, web.id);
        assert.deepEqual(await store.resourceSets.byName(project.id, "web"), web);
        assert.equal(await store.resourceSets.byName(project.id, "nope"), undefined);
        assert.deepEqual(await store.resourceSets.ofProject(project.id), [web]);
        assert.deepEqual(await store.resourceSets.byId(web.id), web);
      }));

    test("a version is stored once per digest and round-trips exactly; newest first", () =>
      withStore(async (store) => {
        const { project, user } = await seed(store);
        const set = await store.resourceSets.ensure(
          { projectId: project.id, name: "web", description: "" },
          NOW,
        );
        const first = await store.resourceSets.addVersion(
          {
            resourceSetId: set.id,
            projectId: project.id,
            rendered: rendered("a"),
            userId: user.id,
            jobId: 7,
            pipelineId: 3,
            ref: "main",
            sha: "c".repeat(40),
          },
          NOW,
        );
        assert.equal(first.created, true);
        assert.deepEqual(first.version, {
          id: first.version.id,
          resourceSetId: set.id,
          projectId: project.id,
          digest: rendered("a").digest,
          rendered: rendered("a"),
          userId: user.id,
          jobId: 7,
          pipelineId: 3,
          ref: "main",
          sha: "c".repeat(40),
          createdAt: NOW,
        });
        const again = await store.resourceSets.addVersion(
          { resourceSetId: set.id, projectId: project.id, rendered: rendered("a") },
          NOW + 10,
        );
        assert.equal(again.created, false);
        assert.deepEqual(again.version, first.version);
        const second = await store.resourceSets.addVersion(
          { resourceSetId: set.id, projectId: project.id, rendered: rendered("b") },
          NOW + 20,
        );
        assert.equal(second.created, true);
        assert.deepEqual(
          (await store.resourceSets.versions(set.id)).map((v) => v.digest),
          [rendered("b").digest, rendered("a").digest],
        );
        assert.deepEqual(
          (await store.resourceSets.versions(set.id, { limit: 1, offset: 1 })).map((v) => v.digest),
          [rendered("a").digest],
        );
        assert.deepEqual(
          await store.resourceSets.version(set.id, rendered("a").digest),
          first.version,
        );
        assert.deepEqual(await store.resourceSets.versionById(second.version.id), second.version);
        assert.equal(await store.resourceSets.version(set.id, "sha256:none"), undefined);
      }));

    test("deleting a set removes its versions and unpins environments", () =>
      withStore(async (store) => {
        const { project, environment } = await seed(store);
        const set = await store.resourceSets.ensure(
          { projectId: project.id, name: "web", description: "" },
          NOW,
        );
        const { version } = await store.resourceSets.addVersion(
          { resourceSetId: set.id, projectId: project.id, rendered: rendered("a") },
          NOW,
        );
        const pinned = await store.environments.update(
          environment.id,
          { pinnedVersionId: version.id },
          NOW,
        );
        assert.equal(pinned?.pinnedVersionId, version.id);
        await store.resourceSets.delete(set.id);
        assert.equal(await store.resourceSets.versionById(version.id), undefined);
        const after = await store.environments.byId(environment.id);
        assert.equal(after && "pinnedVersionId" in after, false);
      }));
  });

  describe("deployments", () => {
    test("create allocates per-project iids and round-trips every field", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const other = await seed(store, "group/other");
        const set = await store.resourceSets.ensure(
          { projectId: seeded.project.id, name: "web", description: "" },
          NOW,
        );
        const { version } = await store.resourceSets.addVersion(
          { resourceSetId: set.id, projectId: seeded.project.id, rendered: rendered("a") },
          NOW,
        );
        const first = await store.deployments.create(
          newDeployment(seeded, {
            ref: "main",
            sha: "d".repeat(40),
            userId: seeded.user.id,
            jobId: 11,
            pipelineId: 4,
            versionId: version.id,
          }),
          NOW,
        );
        assert.deepEqual(first, {
          id: first.id,
          projectId: seeded.project.id,
          iid: 1,
          environmentId: seeded.environment.id,
          status: "created",
          source: "deploy",
          ref: "main",
          sha: "d".repeat(40),
          tag: false,
          userId: seeded.user.id,
          jobId: 11,
          pipelineId: 4,
          versionId: version.id,
          createdAt: NOW,
          updatedAt: NOW,
        });
        const second = await store.deployments.create(
          newDeployment(seeded, { source: "job", status: "running", jobId: 11 }),
          NOW + 1,
        );
        assert.equal(second.iid, 2);
        assert.equal((await store.deployments.create(newDeployment(other), NOW)).iid, 1);
        assert.deepEqual(await store.deployments.byId(first.id), first);
        assert.deepEqual(
          (await store.deployments.ofJob(11)).map((d) => d.id),
          [first.id, second.id],
        );
      }));

    test("update sets results, clears fields, and with `from` changes only a matching status", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const created = await store.deployments.create(newDeployment(seeded), NOW);
        const objects = [
          {
            ref: { apiVersion: "v1", kind: "ConfigMap", name: "c", namespace: "shop" },
            action: "created" as const,
            health: "Current" as const,
          },
        ];
        const inventory = [{ apiVersion: "v1", kind: "ConfigMap", name: "c", namespace: "shop" }];
        assert.equal(
          await store.deployments.update(created.id, { status: "failed" }, NOW + 1, ["running"]),
          undefined,
        );
        const done = await store.deployments.update(
          created.id,
          {
            status: "success",
            objects,
            inventory,
            message: "all good",
            startedAt: NOW + 1,
            finishedAt: NOW + 2,
          },
          NOW + 2,
          ["created", "running"],
        );
        assert.deepEqual(done, {
          ...created,
          status: "success",
          objects,
          inventory,
          message: "all good",
          startedAt: NOW + 1,
          finishedAt: NOW + 2,
          updatedAt: NOW + 2,
        });
        const cleared = await store.deployments.update(created.id, { message: undefined }, NOW + 3);
        assert.equal(cleared && "message" in cleared, false);
        assert.equal(await store.deployments.update(9999, { status: "failed" }, NOW), undefined);
      }));

    test("list filters by environment and status, orders and pages", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const staging = await store.environments.ensure(
          {
            projectId: seeded.project.id,
            name: "staging",
            slug: "staging",
            tier: "staging",
            state: "available",
          },
          NOW,
        );
        const made: DeploymentRecord[] = [];
        for (let i = 0; i < 4; i++) {
          made.push(
            await store.deployments.create(
              newDeployment(seeded, {
                environmentId: i % 2 === 0 ? seeded.environment.id : staging.id,
                status: i === 3 ? "success" : "created",
                ref: `r${i}`,
              }),
              NOW + i,
            ),
          );
        }
        const ids = (list: DeploymentRecord[]) => list.map((d) => d.iid);
        assert.deepEqual(ids(await store.deployments.list(seeded.project.id)), [1, 2, 3, 4]);
        assert.deepEqual(
          ids(await store.deployments.list(seeded.project.id, { sort: "desc", limit: 2 })),
          [4, 3],
        );
        assert.deepEqual(
          ids(
            await store.deployments.list(seeded.project.id, {
              sort: "desc",
              limit: 2,
              offset: 2,
            }),
          ),
          [2, 1],
        );
        assert.deepEqual(
          ids(await store.deployments.list(seeded.project.id, { environmentId: staging.id })),
          [2, 4],
        );
        assert.deepEqual(
          ids(await store.deployments.list(seeded.project.id, { status: "success" })),
          [4],
        );
        assert.deepEqual(
          ids(await store.deployments.list(seeded.project.id, { orderBy: "ref", sort: "desc" })),
          [4, 3, 2, 1],
        );
      }));

    test("startNext runs one engine deployment per environment at a time, oldest first", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        // A script deployment (source job) neither queues nor blocks the engine.
        await store.deployments.create(
          newDeployment(seeded, { source: "job", status: "created" }),
          NOW,
        );
        const first = await store.deployments.create(newDeployment(seeded), NOW);
        const second = await store.deployments.create(
          newDeployment(seeded, { source: "rollback" }),
          NOW,
        );
        assert.deepEqual(await store.deployments.queuedEnvironments(), [seeded.environment.id]);
        const started = await store.deployments.startNext(seeded.environment.id, NOW + 5);
        assert.equal(started?.id, first.id);
        assert.equal(started?.status, "running");
        assert.equal(started?.startedAt, NOW + 5);
        assert.equal(await store.deployments.startNext(seeded.environment.id, NOW + 6), undefined);
        assert.deepEqual(
          (await store.deployments.running()).map((d) => d.id),
          [first.id],
        );
        await store.deployments.update(
          first.id,
          { status: "success", finishedAt: NOW + 7 },
          NOW + 7,
        );
        assert.equal(
          (await store.deployments.startNext(seeded.environment.id, NOW + 8))?.id,
          second.id,
        );
        await store.deployments.update(second.id, { status: "failed" }, NOW + 9);
        assert.equal(await store.deployments.startNext(seeded.environment.id, NOW + 9), undefined);
        assert.deepEqual(await store.deployments.queuedEnvironments(), []);
      }));

    test("a job deployment taken over by the engine (source changes) queues like one", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const fromJob = await store.deployments.create(
          newDeployment(seeded, { source: "job", status: "running", jobId: 5 }),
          NOW,
        );
        await store.deployments.update(fromJob.id, { source: "deploy", status: "created" }, NOW);
        assert.equal(
          (await store.deployments.startNext(seeded.environment.id, NOW))?.id,
          fromJob.id,
        );
      }));

    test("lastSuccessful answers the newest success, of the engine only when asked", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const engine = await store.deployments.create(
          newDeployment(seeded, { status: "success", finishedAt: NOW + 1 }),
          NOW,
        );
        await store.deployments.create(
          newDeployment(seeded, { status: "failed", finishedAt: NOW + 2 }),
          NOW,
        );
        const script = await store.deployments.create(
          newDeployment(seeded, { source: "job", status: "success", finishedAt: NOW + 3 }),
          NOW,
        );
        assert.equal(
          (await store.deployments.lastSuccessful(seeded.environment.id))?.id,
          script.id,
        );
        assert.equal(
          (await store.deployments.lastSuccessful(seeded.environment.id, true))?.id,
          engine.id,
        );
      }));

    test("lastInventory answers the newest finished engine deployment that recorded one", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const ref = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", name });
        await store.deployments.create(
          newDeployment(seeded, { status: "success", finishedAt: NOW + 1, inventory: [ref("a")] }),
          NOW,
        );
        const failed = await store.deployments.create(
          newDeployment(seeded, {
            status: "failed",
            finishedAt: NOW + 2,
            inventory: [ref("a"), ref("b")],
          }),
          NOW,
        );
        // Failed before any apply (no inventory), a script deployment, a running one: skipped.
        await store.deployments.create(
          newDeployment(seeded, { status: "failed", finishedAt: NOW + 3 }),
          NOW,
        );
        await store.deployments.create(
          newDeployment(seeded, {
            source: "job",
            status: "success",
            finishedAt: NOW + 4,
            inventory: [],
          }),
          NOW,
        );
        await store.deployments.create(
          newDeployment(seeded, { status: "running", inventory: [] }),
          NOW,
        );
        const current = await store.deployments.lastInventory(seeded.environment.id);
        assert.equal(current?.id, failed.id);
        assert.deepEqual(current?.inventory, [ref("a"), ref("b")]);
      }));

    test("the log keeps every appended line in order", () =>
      withStore(async (store) => {
        const seeded = await seed(store);
        const deployment = await store.deployments.create(newDeployment(seeded), NOW);
        assert.equal(await store.deployments.appendLog(deployment.id, ["one", "two"]), 2);
        assert.equal(await store.deployments.appendLog(deployment.id, []), 2);
        assert.equal(await store.deployments.appendLog(deployment.id, ["three ✓"]), 3);
        assert.deepEqual(await store.deployments.log(deployment.id), ["one", "two", "three ✓"]);
        assert.deepEqual(await store.deployments.log(deployment.id, 1, 1), ["two"]);
        assert.deepEqual(await store.deployments.log(deployment.id, 3), []);
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.deployments.appendLog(deployment.id, [`p${i}`]),
          ),
        );
        const lines = await store.deployments.log(deployment.id);
        assert.equal(lines.length, 13);
        assert.deepEqual(
          new Set(lines.slice(3)),
          new Set(Array.from({ length: 10 }, (_, i) => `p${i}`)),
        );
      }));

    test("close and open again: deployments, results, logs and versions are there", async () => {
      const store = await open();
      let again: Store | undefined;
      try {
        const seeded = await seed(store);
        const set = await store.resourceSets.ensure(
          { projectId: seeded.project.id, name: "web", description: "" },
          NOW,
        );
        const { version } = await store.resourceSets.addVersion(
          { resourceSetId: set.id, projectId: seeded.project.id, rendered: rendered("a") },
          NOW,
        );
        const deployment = await store.deployments.create(
          newDeployment(seeded, { versionId: version.id }),
          NOW,
        );
        await store.deployments.appendLog(deployment.id, ["applied web", "web is Current"]);
        const started = await store.deployments.startNext(seeded.environment.id, NOW + 1);
        await store.close();
        again = await reopen(store);
        assert.deepEqual(await again.deployments.byId(deployment.id), started);
        assert.deepEqual(await again.deployments.log(deployment.id), [
          "applied web",
          "web is Current",
        ]);
        assert.deepEqual(await again.resourceSets.versionById(version.id), version);
        assert.deepEqual(
          (await again.deployments.running()).map((d) => d.id),
          [deployment.id],
        );
        assert.equal((await again.deployments.create(newDeployment(seeded), NOW + 2)).iid, 2);
      } finally {
        await (again ?? store).close();
      }
    });
  });
}
