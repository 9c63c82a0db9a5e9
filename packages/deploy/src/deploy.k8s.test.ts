/**
 * The deploy engine against a real cluster (the rig: scripts/k8s, KUBECONFIG): the shoppingapp
 * seed templates through v1 → v2 (rolling update) → v3 (an image that does not exist: fails
 * fast, v2 keeps serving) → rollback to v2 → a version without the Ingress (pruned), with diffs
 * before applying; impersonation with an RBAC-limited user; a crash loop's diagnosis with its
 * log; Jobs, unschedulable pods and a CRD with its custom resource in one version.
 *
 * Without KUBECONFIG these tests are skipped (CONVEYOR_REQUIRE_K8S=1 makes that a failure).
 * Every test works in namespaces of its own (cvd-*), deleted when it ends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDeployer } from "./deployer.js";
import { refKey } from "./refs.js";
import {
  K8S_SKIP_REASON,
  rigKubeconfig,
  rigTarget,
  type TestNamespace,
  testNamespace,
} from "./testing/rig.js";
import { seedFiles } from "./testing/tools.js";
import type {
  ApplyOutcome,
  DeployTarget,
  KubeObject,
  ObjectRef,
  RenderedVersion,
  ResourceSetSource,
} from "./types.js";

const deployer = createDeployer({ pollIntervalMs: 500 });

/** Applies and collects the log. */
async function apply(
  target: DeployTarget,
  version: RenderedVersion,
  previousInventory: ObjectRef[],
  timeoutMs = 90_000,
): Promise<{ outcome: ApplyOutcome; log: string[]; elapsedMs: number }> {
  const log: string[] = [];
  const started = Date.now();
  const outcome = await deployer.apply({
    target,
    version,
    previousInventory,
    timeoutMs,
    signal: new AbortController().signal,
    log: (line) => log.push(line),
  });
  return { outcome, log, elapsedMs: Date.now() - started };
}

const plainSet = (
  files: Record<string, string>,
  values: Record<string, string> = {},
): ResourceSetSource => ({
  kind: "plain",
  files: Object.entries(files).map(([path, content]) => ({ path, content })),
  values,
});

/**
 * The shoppingapp seed (deployment.yml, service.yml, ingress.yml) as a set. The test patches
 * the Deployment template's text, not the seed: the rig has only local images, so the pull
 * policy becomes Never, and busybox gets a command (httpd on the container port) whose
 * `${release}` placeholder changes the pod template between versions.
 */
function shoppingapp(
  release: string,
  image = "local/busybox:latest",
  withIngress = true,
): ResourceSetSource {
  const files = seedFiles(
    "shoppingapp/k8s",
    ["deployment.yml", "service.yml", ...(withIngress ? ["ingress.yml"] : [])],
    "k8s/",
  );
  const patched = files.map((file) =>
    file.path.endsWith("deployment.yml")
      ? {
          ...file,
          content: file.content.replace(
            "imagePullPolicy: Always",
            'imagePullPolicy: Never\n          command: ["sh", "-c", "echo ${release} > /tmp/index.html && exec httpd -f -p 5000 -h /tmp"]',
          ),
        }
      : file,
  );
  assert.notDeepEqual(
    patched,
    files,
    "the seed's Deployment template still says imagePullPolicy: Always",
  );
  return {
    kind: "plain",
    files: patched,
    values: { app_name: "shoppingapp", service_name: "home", image_id: image, release },
  };
}

const requireCluster = process.env.CONVEYOR_REQUIRE_K8S === "1";
const skip = process.env.KUBECONFIG ? false : K8S_SKIP_REASON;

if (skip && requireCluster) {
  test("the deploy engine on Kubernetes", () => {
    assert.fail(`CONVEYOR_REQUIRE_K8S=1 but ${K8S_SKIP_REASON}`);
  });
}

describe("shoppingapp: deploy, roll out, fail fast, roll back, prune", { skip }, () => {
  let namespace: TestNamespace;
  let target: DeployTarget;
  let v1: RenderedVersion;
  let v2: RenderedVersion;
  let inventory: ObjectRef[] = [];
  const deploymentRef = (): ObjectRef => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "home-deployment",
    namespace: namespace.name,
  });
  const ingressRef = (): ObjectRef => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    name: "shoppingapp-ingress",
    namespace: namespace.name,
  });
  const serviceRef = (): ObjectRef => ({
    apiVersion: "v1",
    kind: "Service",
    name: "home-service",
    namespace: namespace.name,
  });
  const command = (deployment: KubeObject | undefined): string =>
    (
      (deployment?.spec as { template: { spec: { containers: { command: string[] }[] } } }).template
        .spec.containers[0]?.command ?? []
    ).join(" ");
  const replicaSets = async (): Promise<KubeObject[]> =>
    namespace.cluster.list("apps/v1", "ReplicaSet", {
      namespace: namespace.name,
      labelSelector: "app=shoppingapp",
    });

  before(async () => {
    namespace = await testNamespace("shop");
    target = rigTarget(namespace.name);
    v1 = await deployer.render(shoppingapp("v1"));
    v2 = await deployer.render(shoppingapp("v2"));
  });
  after(async () => namespace?.remove());

  test("v1: created and healthy, with progress lines", async () => {
    const { outcome, log } = await apply(target, v1, []);
    assert.equal(outcome.status, "success", outcome.message);
    assert.deepEqual(
      outcome.objects.map((result) => [result.ref.kind, result.action, result.health]),
      [
        ["Service", "created", "Current"],
        ["Deployment", "created", "Current"],
        ["Ingress", "created", "Current"],
      ],
    );
    assert.ok(log.includes("deployment/home-deployment: 2 replicas available"), log.join("\n"));
    assert.deepEqual(
      outcome.inventory.map((ref) => [ref.kind, ref.namespace]),
      [
        ["Service", namespace.name],
        ["Deployment", namespace.name],
        ["Ingress", namespace.name],
      ],
    );
    assert.ok(outcome.inventory.every((ref) => typeof ref.uid === "string" && ref.uid.length > 0));
    const live = await namespace.cluster.get(deploymentRef());
    assert.match(command(live), /echo v1 >/);
    inventory = outcome.inventory;
  });

  test("applying the same version again changes nothing", async () => {
    const { outcome } = await apply(target, v1, inventory);
    assert.equal(outcome.status, "success", outcome.message);
    assert.deepEqual(
      outcome.objects.map((result) => result.action),
      ["unchanged", "unchanged", "unchanged"],
    );
  });

  test("diff of v2 shows the template change and nothing else, and changes nothing", async () => {
    const before = await namespace.cluster.get(deploymentRef());
    const entries = await deployer.diff({
      target,
      version: v2,
      previousInventory: inventory,
      signal: new AbortController().signal,
    });
    assert.deepEqual(
      entries.map((entry) => [entry.ref.kind, entry.change]),
      [
        ["Service", "unchanged"],
        ["Deployment", "update"],
        ["Ingress", "unchanged"],
      ],
    );
    const text = entries[1]?.diff ?? "";
    assert.match(text, /^-.*echo v1 >/m);
    assert.match(text, /^\+.*echo v2 >/m);
    assert.doesNotMatch(text, /resourceVersion|managedFields|generation/);
    const afterDiff = await namespace.cluster.get(deploymentRef());
    assert.equal(afterDiff?.metadata.resourceVersion, before?.metadata.resourceVersion);
  });

  test("v2: a rolling update, healthy when the new pods are available", async () => {
    const { outcome, log } = await apply(target, v2, inventory);
    assert.equal(outcome.status, "success", outcome.message);
    assert.deepEqual(
      outcome.objects.map((result) => result.action),
      ["unchanged", "configured", "unchanged"],
    );
    assert.ok(
      log.some((line) =>
        /^deployment\/home-deployment: \d of 2 (replicas updated|updated replicas available)$|old replica/.test(
          line,
        ),
      ),
      log.join("\n"),
    );
    const live = await namespace.cluster.get(deploymentRef());
    assert.match(command(live), /echo v2 >/);
    const current = (await replicaSets()).filter((set) => /echo v2 >/.test(command(set)));
    assert.equal(current.length, 1);
    assert.equal((current[0]?.status as { readyReplicas?: number }).readyReplicas, 2);
    inventory = outcome.inventory;
  });

  let v3Inventory: ObjectRef[] = [];
  test("v3 with an image that does not exist fails fast naming the pod and the reason; v2 keeps serving", async (t) => {
    const v3 = await deployer.render(shoppingapp("v3", "local/does-not-exist:v3"));
    const serviceBefore = await namespace.cluster.get(serviceRef());
    const ingressBefore = await namespace.cluster.get(ingressRef());
    // The deadline is 30 s: a failure by timeout would say "timed out", not name the pod.
    const { outcome, log, elapsedMs } = await apply(target, v3, inventory, 30_000);
    t.diagnostic(`v3 failed after ${elapsedMs} ms`);
    assert.equal(outcome.status, "failed");
    assert.doesNotMatch(outcome.message ?? "", /timed out/);
    assert.match(
      outcome.message ?? "",
      /^deployment\/home-deployment: pod home-deployment-[a-z0-9]+-[a-z0-9]+, container home-pod: ErrImageNeverPull: Container image "local\/does-not-exist:v3" is not present/,
    );
    assert.match(
      outcome.message ?? "",
      /\n {2}recent Warning events:\n {4}pod\/home-deployment-[a-z0-9]+-[a-z0-9]+ /,
    );
    assert.ok(
      log.some((line) => line.startsWith("deployment/home-deployment: pod home-deployment-")),
      log.join("\n"),
    );
    const deployment = outcome.objects.find((result) => result.ref.kind === "Deployment");
    assert.equal(deployment?.health, "Failed");
    // Nothing else touched: v2's ReplicaSet still has its two ready pods, Service and Ingress as they were.
    const v2Sets = (await replicaSets()).filter((set) => /echo v2 >/.test(command(set)));
    assert.equal((v2Sets[0]?.status as { readyReplicas?: number }).readyReplicas, 2);
    assert.equal(
      (await namespace.cluster.get(serviceRef()))?.metadata.resourceVersion,
      serviceBefore?.metadata.resourceVersion,
    );
    assert.equal(
      (await namespace.cluster.get(ingressRef()))?.metadata.resourceVersion,
      ingressBefore?.metadata.resourceVersion,
    );
    // A failed deployment prunes nothing; its inventory still covers everything it owns.
    assert.deepEqual(outcome.inventory.map(refKey).sort(), inventory.map(refKey).sort());
    v3Inventory = outcome.inventory;
  });

  test("rollback: applying the stored v2 again is healthy with v2's template", async () => {
    const { outcome } = await apply(target, v2, v3Inventory);
    assert.equal(outcome.status, "success", outcome.message);
    assert.deepEqual(
      outcome.objects.map((result) => result.action),
      ["unchanged", "configured", "unchanged"],
    );
    const live = await namespace.cluster.get(deploymentRef());
    assert.match(command(live), /echo v2 >/);
    const image = (live?.spec as { template: { spec: { containers: { image: string }[] } } })
      .template.spec.containers[0]?.image;
    assert.equal(image, "local/busybox:latest");
    const broken = (await replicaSets()).filter((set) => /echo v3 >/.test(command(set)));
    assert.equal((broken[0]?.spec as { replicas?: number }).replicas, 0);
    inventory = outcome.inventory;
  });

  test("a version without the Ingress: diff shows the prune and the change first, apply prunes it", async () => {
    const v4 = await deployer.render(shoppingapp("v4", "local/busybox:latest", false));
    const deploymentBefore = await namespace.cluster.get(deploymentRef());
    const entries = await deployer.diff({
      target,
      version: v4,
      previousInventory: inventory,
      signal: new AbortController().signal,
    });
    assert.deepEqual(
      entries.map((entry) => [entry.ref.kind, entry.change]),
      [
        ["Service", "unchanged"],
        ["Deployment", "update"],
        ["Ingress", "prune"],
      ],
    );
    assert.match(entries[1]?.diff ?? "", /^\+.*echo v4 >/m);
    assert.match(entries[2]?.diff ?? "", /^-\s+name: shoppingapp-ingress$/m);
    // The diff changed nothing.
    assert.ok(await namespace.cluster.get(ingressRef()));
    assert.equal(
      (await namespace.cluster.get(deploymentRef()))?.metadata.generation,
      deploymentBefore?.metadata.generation,
    );

    const { outcome, log } = await apply(target, v4, inventory);
    assert.equal(outcome.status, "success", outcome.message);
    assert.deepEqual(
      outcome.objects.map((result) => [result.ref.kind, result.action]),
      [
        ["Service", "unchanged"],
        ["Deployment", "configured"],
        ["Ingress", "pruned"],
      ],
    );
    assert.ok(
      log.includes(`ingress/shoppingapp-ingress (namespace ${namespace.name}) pruned`),
      log.join("\n"),
    );
    assert.equal(await namespace.cluster.get(ingressRef()), undefined);
    assert.deepEqual(
      outcome.inventory.map((ref) => ref.kind),
      ["Service", "Deployment"],
    );
  });

  test("pruning never deletes what the inventory does not name, nor an object someone else re-created", async () => {
    // A ConfigMap the inventory names but that another manager re-created under the same name.
    const foreign = await namespace.cluster.apply(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "foreign", namespace: namespace.name },
        data: { a: "1" },
      },
      { fieldManager: "someone-else" },
    );
    const unlisted = await namespace.cluster.apply(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "unlisted", namespace: namespace.name, labels: { app: "shoppingapp" } },
      },
      { fieldManager: "conveyor" },
    );
    const previous: ObjectRef[] = [
      ...inventory,
      { apiVersion: "v1", kind: "ConfigMap", name: "foreign", namespace: namespace.name },
    ];
    const { outcome, log } = await apply(
      target,
      await deployer.render(shoppingapp("v4", "local/busybox:latest", false)),
      previous,
    );
    assert.equal(outcome.status, "success", outcome.message);
    assert.ok(
      log.some((line) =>
        /configmap\/foreign .*not pruned: it has no fields applied by conveyor/.test(line),
      ),
      log.join("\n"),
    );
    assert.equal(
      (
        await namespace.cluster.get({
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "foreign",
          namespace: namespace.name,
        })
      )?.metadata.uid,
      foreign.metadata.uid,
    );
    assert.equal(
      (
        await namespace.cluster.get({
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "unlisted",
          namespace: namespace.name,
        })
      )?.metadata.uid,
      unlisted.metadata.uid,
    );
  });
});

describe("impersonation", { skip }, () => {
  let namespace: TestNamespace;
  before(async () => {
    namespace = await testNamespace("imp");
    // The group conveyor-deployers may manage ConfigMaps here, nothing else; the user alone, nothing.
    const rbac = await deployer.render(
      plainSet({
        "rbac.yml": [
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: { name: configmaps-only }\nrules:\n  - apiGroups: ['']\n    resources: [configmaps]\n    verbs: [get, list, watch, create, patch]",
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: deployers }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmaps-only }\nsubjects:\n  - { apiGroup: rbac.authorization.k8s.io, kind: Group, name: conveyor-deployers }",
        ].join("\n---\n"),
      }),
    );
    const { outcome } = await apply(rigTarget(namespace.name), rbac, []);
    assert.equal(outcome.status, "success", outcome.message);
  });
  after(async () => namespace?.remove());

  const configMap =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { a: '1' }";
  const deployment =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [ { name: web, image: local/busybox:latest, imagePullPolicy: Never } ] }";

  test("the impersonated user and group apply what the group may, and are refused the rest without leaking credentials", async () => {
    const limited = rigTarget(namespace.name, {
      user: "conveyor-limited",
      groups: ["system:authenticated", "conveyor-deployers"],
    });
    const allowed = await apply(
      limited,
      await deployer.render(plainSet({ "cm.yml": configMap })),
      [],
    );
    assert.equal(allowed.outcome.status, "success", allowed.outcome.message);

    const refused = await apply(
      limited,
      await deployer.render(plainSet({ "app.yml": `${configMap}\n---\n${deployment}` })),
      allowed.outcome.inventory,
    );
    assert.equal(refused.outcome.status, "failed");
    assert.match(
      refused.outcome.message ?? "",
      /^deployment\/web: .*forbidden: User "conveyor-limited" cannot (get|patch) resource "deployments"/,
    );
    assert.deepEqual(
      refused.outcome.objects.map((result) => [result.ref.kind, result.action]),
      [
        ["ConfigMap", "unchanged"],
        ["Deployment", "failed"],
      ],
    );
    const kubeconfig = rigKubeconfig();
    const secrets = [
      ...kubeconfig.matchAll(/(?:client-key-data|client-certificate-data|token):\s*(\S+)/g),
    ].map((match) => match[1] ?? "");
    assert.ok(secrets.length > 0, "the rig's kubeconfig has credentials to look for");
    const everything = [refused.outcome.message ?? "", ...refused.log].join("\n");
    for (const secret of secrets)
      assert.ok(!everything.includes(secret.slice(0, 40)), "a credential leaked into the outcome");
    assert.doesNotMatch(everything, /Bearer|BEGIN .*PRIVATE KEY/);

    // Without the group the same user may not even touch the ConfigMap: the group header counts.
    const userOnly = rigTarget(namespace.name, { user: "conveyor-limited" });
    const alone = await apply(
      userOnly,
      await deployer.render(plainSet({ "cm.yml": configMap })),
      [],
    );
    assert.equal(alone.outcome.status, "failed");
    assert.match(alone.outcome.message ?? "", /forbidden: User "conveyor-limited" cannot/);
  });
});

describe("diagnoses and other kinds", { skip }, () => {
  let namespace: TestNamespace;
  const crdGroup = `cvd${process.pid}.example.com`;
  before(async () => {
    namespace = await testNamespace("kinds");
  });
  after(async () => {
    await namespace?.cluster
      .delete(
        {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          name: `widgets.${crdGroup}`,
        },
        { propagationPolicy: "Background" },
      )
      .catch(() => undefined);
    await namespace?.remove();
  });

  // minReadySeconds makes Kubernetes count a pod as available only after it stayed ready that
  // long: without it (and without a readiness probe) a container that crashes a moment after it
  // starts is briefly available, and the Deployment is complete for the deploy engine as for
  // `kubectl rollout status`.
  test("a crash loop fails with the exit code and the container's last log lines", async () => {
    const version = await deployer.render(
      plainSet({
        "crash.yml":
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: crasher }\nspec:\n  minReadySeconds: 10\n  selector: { matchLabels: { app: crasher } }\n  template:\n    metadata: { labels: { app: crasher } }\n    spec:\n      containers:\n        - name: app\n          image: local/busybox:latest\n          imagePullPolicy: Never\n          command: [sh, -c, 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo boom-line-$i; done; exit 3']\n",
      }),
    );
    const { outcome, log } = await apply(rigTarget(namespace.name), version, [], 90_000);
    assert.equal(outcome.status, "failed");
    assert.match(
      outcome.message ?? "",
      /^deployment\/crasher: pod crasher-[a-z0-9]+-[a-z0-9]+, container app: CrashLoopBackOff: .*last exit code 3 \(Error\)/,
    );
    assert.match(
      outcome.message ?? "",
      /last 20 log lines of crasher-[a-z0-9-]+\/app \(previous run\):\n {4}boom-line-6\n[\s\S]* {4}boom-line-25$/,
    );
    assert.doesNotMatch(outcome.message ?? "", /boom-line-5\n/);
    assert.ok(log.some((line) => line.includes("boom-line-25")));
  });

  test("a deployment that never gets ready: timeout names what is in progress, a signal cancels, a failing readiness probe fails", async () => {
    const neverReady = await deployer.render(
      plainSet({
        "never.yml":
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: never-ready }\nspec:\n  selector: { matchLabels: { app: never-ready } }\n  template:\n    metadata: { labels: { app: never-ready } }\n    spec:\n      containers:\n        - name: app\n          image: local/busybox:latest\n          imagePullPolicy: Never\n          command: [sleep, '3600']\n          readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 }\n",
      }),
    );
    const target = rigTarget(namespace.name);
    const timedOut = await apply(target, neverReady, [], 4_000);
    assert.equal(timedOut.outcome.status, "failed");
    assert.equal(
      timedOut.outcome.message,
      "timed out after 4 s; still in progress: deployment/never-ready (0 of 1 updated replicas available)",
    );
    assert.equal(timedOut.outcome.inventory.length, 1);

    const controller = new AbortController();
    const log: string[] = [];
    const canceled = await deployer.apply({
      target,
      version: neverReady,
      previousInventory: timedOut.outcome.inventory,
      timeoutMs: 60_000,
      signal: controller.signal,
      log: (line) => {
        log.push(line);
        if (line.startsWith("deployment/never-ready: ")) controller.abort();
      },
    });
    assert.equal(canceled.status, "canceled");
    assert.deepEqual(
      canceled.inventory.map((ref) => ref.name),
      ["never-ready"],
    );

    const strict = createDeployer({ pollIntervalMs: 500, notReadyAfterMs: 2_000 });
    const failing = await strict.apply({
      target,
      version: neverReady,
      previousInventory: canceled.inventory,
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      log: () => {},
    });
    assert.equal(failing.status, "failed");
    assert.match(
      failing.message ?? "",
      /^deployment\/never-ready: pod never-ready-[a-z0-9]+-[a-z0-9]+, container app: NotReady: running, but its readiness probe does not pass\n/,
    );
    assert.match(failing.message ?? "", /Unhealthy: Readiness probe failed/);
  });

  test("an unschedulable pod fails once it stays unschedulable, with the scheduler's message", async () => {
    const quick = createDeployer({ pollIntervalMs: 500, unschedulableAfterMs: 2_000 });
    const version = await deployer.render(
      plainSet({
        "pod.yml":
          "apiVersion: v1\nkind: Pod\nmetadata: { name: nowhere }\nspec:\n  nodeSelector: { conveyor.test/none: 'true' }\n  containers: [ { name: app, image: local/busybox:latest, imagePullPolicy: Never, command: [sleep, '3600'] } ]\n",
      }),
    );
    const log: string[] = [];
    const outcome = await quick.apply({
      target: rigTarget(namespace.name),
      version,
      previousInventory: [],
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      log: (line) => log.push(line),
    });
    assert.equal(outcome.status, "failed");
    assert.match(
      outcome.message ?? "",
      /^pod\/nowhere: pod nowhere: Unschedulable: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/,
    );
  });

  test("diff of a version that creates its own namespace and CRD lists every object as a create and stores nothing", async () => {
    const fresh = `${namespace.name}-new`;
    const group = `diff${process.pid}.example.com`;
    const version = await deployer.render(
      plainSet(
        {
          "all.yml": [
            "apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ${ns} }\ndata: { a: '1' }",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: gadgets.${group} }\nspec:\n  group: ${group}\n  scope: Namespaced\n  names: { plural: gadgets, singular: gadget, kind: Gadget }\n  versions: [ { name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } } ]",
            "apiVersion: ${group}/v1\nkind: Gadget\nmetadata: { name: g1 }",
          ].join("\n---\n"),
        },
        { ns: fresh, group },
      ),
    );
    const entries = await deployer.diff({
      target: rigTarget(namespace.name),
      version,
      previousInventory: [],
      signal: new AbortController().signal,
    });
    assert.deepEqual(
      entries.map((entry) => [entry.ref.kind, entry.ref.namespace, entry.change]),
      [
        ["Namespace", undefined, "create"],
        ["CustomResourceDefinition", undefined, "create"],
        ["ConfigMap", fresh, "create"],
        ["Gadget", namespace.name, "create"],
      ],
    );
    assert.match(entries[2]?.diff ?? "", /^\+ {2}a: "1"$/m);
    assert.equal(
      await namespace.cluster.get({ apiVersion: "v1", kind: "Namespace", name: fresh }),
      undefined,
    );
    assert.equal(
      await namespace.cluster.get({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        name: `gadgets.${group}`,
      }),
      undefined,
    );
  });

  test("a Job is waited for until it completes; a CRD and its custom resource go in one version", async () => {
    const version = await deployer.render(
      plainSet(
        {
          "job.yml":
            "apiVersion: batch/v1\nkind: Job\nmetadata: { name: migrate }\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [ { name: m, image: local/busybox:latest, imagePullPolicy: Never, command: [sh, -c, 'sleep 2; echo migrated'] } ]\n",
          "widget.yml":
            "apiVersion: ${group}/v1\nkind: Widget\nmetadata: { name: w1 }\nspec: { size: 3 }\n",
          "crd.yml": [
            "apiVersion: apiextensions.k8s.io/v1",
            "kind: CustomResourceDefinition",
            "metadata: { name: widgets.${group} }",
            "spec:",
            "  group: ${group}",
            "  scope: Namespaced",
            "  names: { plural: widgets, singular: widget, kind: Widget }",
            "  versions:",
            "    - name: v1",
            "      served: true",
            "      storage: true",
            "      schema: { openAPIV3Schema: { type: object, properties: { spec: { type: object, properties: { size: { type: integer } } } } } }",
          ].join("\n"),
        },
        { group: crdGroup },
      ),
    );
    assert.deepEqual(
      version.objects.map((object) => object.kind),
      ["CustomResourceDefinition", "Job", "Widget"],
    );
    const { outcome, log } = await apply(rigTarget(namespace.name), version, []);
    assert.equal(outcome.status, "success", `${outcome.message}\n${log.join("\n")}`);
    assert.deepEqual(
      outcome.objects.map((result) => [result.ref.kind, result.action, result.health]),
      [
        ["CustomResourceDefinition", "created", "Current"],
        ["Job", "created", "Current"],
        ["Widget", "created", "Current"],
      ],
    );
    assert.ok(log.includes("job/migrate: complete"), log.join("\n"));
    assert.equal(
      outcome.inventory.find((ref) => ref.kind === "CustomResourceDefinition")?.namespace,
      undefined,
    );
    assert.equal(outcome.inventory.find((ref) => ref.kind === "Widget")?.namespace, namespace.name);
  });
});
