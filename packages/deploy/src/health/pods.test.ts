import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../types.js";
import { tailLines, warningLines } from "./events.js";
import { currentReplicaSet, isOwnedBy, labelSelectorString, podProblems } from "./pods.js";

const pod = (
  name: string,
  status: Record<string, unknown>,
  containers: Record<string, unknown>[] = [{ name: "web", image: "app:1" }],
): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "shop",
    uid: `uid-${name}`,
    labels: { app: "web", "pod-template-hash": "5d9" },
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-5d9",
        uid: "uid-rs-2",
        controller: true,
      },
    ],
  },
  spec: { containers },
  status,
});

const waiting = (reason: string, message: string, extra: Record<string, unknown> = {}) => ({
  name: "web",
  image: "app:1",
  ready: false,
  restartCount: 0,
  started: false,
  state: { waiting: { reason, message } },
  ...extra,
});

test("image pull failures are fatal at once, naming pod, container, reason and message", () => {
  for (const reason of [
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
  ]) {
    const problems = podProblems(
      pod("web-5d9-abcde", {
        phase: "Pending",
        containerStatuses: [waiting(reason, `${reason} details`)],
      }),
    );
    assert.deepEqual(problems, [
      {
        kind: "fatal",
        pod: "web-5d9-abcde",
        container: "web",
        reason,
        message: `${reason} details`,
        crashing: false,
      },
    ]);
  }
});

test("a crash loop is fatal and says how the last run ended", () => {
  const [problem] = podProblems(
    pod("web-5d9-abcde", {
      phase: "Running",
      containerStatuses: [
        waiting(
          "CrashLoopBackOff",
          "back-off 10s restarting failed container=web pod=web-5d9-abcde_shop(uid)",
          {
            restartCount: 2,
            lastState: {
              terminated: {
                exitCode: 3,
                reason: "Error",
                startedAt: "2025-01-01T00:00:00Z",
                finishedAt: "2025-01-01T00:00:01Z",
              },
            },
          },
        ),
      ],
    }),
  );
  assert.equal(problem?.kind, "fatal");
  assert.equal(problem?.crashing, true);
  assert.equal(
    problem?.message,
    "back-off 10s restarting failed container=web pod=web-5d9-abcde_shop(uid); last exit code 3 (Error)",
  );
});

test("init containers count too", () => {
  const [problem] = podProblems(
    pod("web-1", {
      phase: "Pending",
      initContainerStatuses: [
        { ...waiting("ImagePullBackOff", "Back-off pulling image"), name: "init" },
      ],
    }),
  );
  assert.equal(problem?.container, "init");
});

test("an Unschedulable pod and a probed container that is not ready are problems that need time", () => {
  const unschedulable = podProblems(
    pod("web-2", {
      phase: "Pending",
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/1 nodes are available: 1 Insufficient cpu.",
        },
      ],
    }),
  );
  assert.deepEqual(
    unschedulable.map((problem) => [problem.kind, problem.message]),
    [["unschedulable", "0/1 nodes are available: 1 Insufficient cpu."]],
  );

  const probed = [
    { name: "web", image: "app:1", readinessProbe: { httpGet: { path: "/", port: 80 } } },
  ];
  const running = {
    name: "web",
    ready: false,
    restartCount: 0,
    state: { running: { startedAt: "2025-01-01T00:00:00Z" } },
  };
  assert.deepEqual(
    podProblems(pod("web-3", { phase: "Running", containerStatuses: [running] }, probed)).map(
      (problem) => problem.kind,
    ),
    ["not-ready"],
  );
  // No readiness probe: ready as soon as it runs, so nothing to blame.
  assert.deepEqual(
    podProblems(pod("web-4", { phase: "Running", containerStatuses: [running] })),
    [],
  );
  // Waiting to start with ContainerCreating is normal.
  assert.deepEqual(
    podProblems(
      pod("web-5", { phase: "Pending", containerStatuses: [waiting("ContainerCreating", "")] }),
    ),
    [],
  );
});

test("label selectors become query strings", () => {
  assert.equal(
    labelSelectorString({
      matchLabels: { task: "home", app: "shop" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["a", "b"] },
        { key: "env", operator: "NotIn", values: ["dev"] },
        { key: "canary", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    }),
    "app=shop,task=home,tier in (a,b),env notin (dev),canary,!legacy",
  );
  assert.equal(labelSelectorString(undefined), "");
});

test("the current ReplicaSet is the owned one with the Deployment's revision", () => {
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      uid: "uid-web",
      annotations: { "deployment.kubernetes.io/revision": "2" },
    },
  };
  const replicaSet = (name: string, revision: string, owner: string): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      uid: `uid-${name}`,
      annotations: { "deployment.kubernetes.io/revision": revision },
      ownerReferences: [{ uid: owner }],
    },
  });
  const sets = [
    replicaSet("web-1", "1", "uid-web"),
    replicaSet("web-2", "2", "uid-web"),
    replicaSet("other-2", "2", "uid-other"),
    replicaSet("web-3", "3", "uid-other"),
  ];
  assert.equal(currentReplicaSet(deployment, sets)?.metadata.name, "web-2");
  // Revision not in the annotations yet: the highest owned revision.
  const fresh = { ...deployment, metadata: { ...deployment.metadata, annotations: {} } };
  assert.equal(currentReplicaSet(fresh, sets)?.metadata.name, "web-2");
  assert.equal(currentReplicaSet(deployment, []), undefined);
  assert.equal(isOwnedBy(sets[0] as KubeObject, "uid-web"), true);
  assert.equal(isOwnedBy(sets[0] as KubeObject, undefined), false);
});

test("Warning events are listed oldest first, one line per distinct message", () => {
  const event = (
    reason: string,
    message: string,
    at: string,
    type = "Warning",
    count = 1,
  ): KubeObject => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `e-${reason}-${at}`, namespace: "shop", creationTimestamp: at },
    involvedObject: { kind: "Pod", name: "web-1", namespace: "shop" },
    reason,
    message,
    type,
    count,
    lastTimestamp: at,
  });
  const lines = warningLines([
    event("BackOff", 'Back-off pulling image "app:nope"', "2025-01-01T00:00:09Z", "Normal"),
    event("Failed", "Error: ErrImagePull", "2025-01-01T00:00:05Z", "Warning", 3),
    event("Failed", 'Failed to pull image "app:nope": not found', "2025-01-01T00:00:04Z"),
  ]);
  assert.deepEqual(lines, [
    'pod/web-1 Failed: Failed to pull image "app:nope": not found',
    "pod/web-1 Failed: Error: ErrImagePull (x3)",
  ]);
});

test("tailLines keeps the last non-empty lines", () => {
  const log = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n") + "\n\n";
  assert.deepEqual(tailLines(log, 3), ["line 28", "line 29", "line 30"]);
});
