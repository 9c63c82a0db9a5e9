/**
 * The status rules, table-driven, on objects shaped as the API server returns them (fields as
 * read from a v1.33 cluster's responses, trimmed to what the rules read).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Health, KubeObject } from "../types.js";
import { objectStatus } from "./status.js";

interface Case {
  name: string;
  object: Record<string, unknown>;
  health: Health;
  message: string | RegExp;
}

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: "shop",
  uid: `uid-${name}`,
  resourceVersion: "100",
  ...extra,
});

const deployment = (
  generation: number,
  status: Record<string, unknown>,
  spec: Record<string, unknown> = {},
) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: meta("web", { generation, annotations: { "deployment.kubernetes.io/revision": "2" } }),
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    progressDeadlineSeconds: 600,
    ...spec,
  },
  status,
});

const progressing = (reason: string, status = "True", message = "") => ({
  type: "Progressing",
  status,
  reason,
  message,
  lastUpdateTime: "2025-01-01T00:00:00Z",
  lastTransitionTime: "2025-01-01T00:00:00Z",
});

const cases: Case[] = [
  {
    name: "Deployment: new generation not observed yet",
    object: deployment(3, {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    }),
    health: "InProgress",
    message: "spec update not observed yet",
  },
  {
    name: "Deployment: surge pod created, not updated everywhere",
    object: deployment(3, {
      observedGeneration: 3,
      replicas: 3,
      updatedReplicas: 1,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [progressing("ReplicaSetUpdated")],
    }),
    health: "InProgress",
    message: "1 of 2 replicas updated",
  },
  {
    name: "Deployment: old replica still terminating",
    object: deployment(3, {
      observedGeneration: 3,
      replicas: 3,
      updatedReplicas: 2,
      readyReplicas: 3,
      availableReplicas: 3,
    }),
    health: "InProgress",
    message: "1 old replica pending termination",
  },
  {
    name: "Deployment: updated replicas not all available",
    object: deployment(3, {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
    }),
    health: "InProgress",
    message: "1 of 2 updated replicas available",
  },
  {
    name: "Deployment: progress deadline exceeded",
    object: deployment(3, {
      observedGeneration: 3,
      replicas: 3,
      updatedReplicas: 1,
      availableReplicas: 2,
      conditions: [
        progressing(
          "ProgressDeadlineExceeded",
          "False",
          'ReplicaSet "web-5d9" has timed out progressing.',
        ),
      ],
    }),
    health: "Failed",
    message: 'progress deadline exceeded: ReplicaSet "web-5d9" has timed out progressing.',
  },
  {
    name: "Deployment: ReplicaSetCreateError is not a failure (kubectl waits)",
    object: deployment(3, {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 2,
      conditions: [progressing("ReplicaSetCreateError", "False")],
    }),
    health: "InProgress",
    message: "1 of 2 replicas updated",
  },
  {
    name: "Deployment: rolled out",
    object: deployment(3, {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [progressing("NewReplicaSetAvailable")],
    }),
    health: "Current",
    message: "2 replicas available",
  },
  {
    name: "Deployment: replicas default to 1",
    object: deployment(
      1,
      { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      { replicas: undefined },
    ),
    health: "Current",
    message: "1 replica available",
  },
  {
    name: "StatefulSet: not observed",
    object: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("db", { generation: 1 }),
      spec: { replicas: 2 },
      status: { replicas: 0 },
    },
    health: "InProgress",
    message: "spec update not observed yet",
  },
  {
    name: "StatefulSet: partitioned rolling update reached its partition",
    object: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("db", { generation: 2 }),
      spec: {
        replicas: 3,
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
      },
      status: {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: 3,
        updatedReplicas: 1,
        currentRevision: "db-1",
        updateRevision: "db-2",
      },
    },
    health: "Current",
    message: "3 replicas ready",
  },
  {
    name: "StatefulSet: rolling update without partition waits for the revision",
    object: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("db", { generation: 2 }),
      spec: { replicas: 2, updateStrategy: { type: "RollingUpdate" } },
      status: {
        observedGeneration: 2,
        replicas: 2,
        readyReplicas: 2,
        updatedReplicas: 1,
        currentRevision: "db-1",
        updateRevision: "db-2",
      },
    },
    health: "InProgress",
    message: "1 of 2 replicas updated to revision db-2",
  },
  {
    name: "StatefulSet: not all ready",
    object: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("db", { generation: 1 }),
      spec: {
        replicas: 2,
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      },
      status: { observedGeneration: 1, replicas: 2, readyReplicas: 1 },
    },
    health: "InProgress",
    message: "1 of 2 replicas ready",
  },
  {
    name: "StatefulSet: OnDelete is never waited for",
    object: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("db", { generation: 5 }),
      spec: { replicas: 2, updateStrategy: { type: "OnDelete" } },
      status: {},
    },
    health: "Current",
    message: /OnDelete/,
  },
  {
    name: "DaemonSet: updated pods not all available",
    object: {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: meta("agent", { generation: 2 }),
      spec: {},
      status: {
        observedGeneration: 2,
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
        numberReady: 2,
      },
    },
    health: "InProgress",
    message: "2 of 3 updated pods available",
  },
  {
    name: "DaemonSet: done",
    object: {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: meta("agent", { generation: 2 }),
      spec: {},
      status: {
        observedGeneration: 2,
        desiredNumberScheduled: 1,
        updatedNumberScheduled: 1,
        numberAvailable: 1,
        numberReady: 1,
      },
    },
    health: "Current",
    message: "1 pod available",
  },
  {
    name: "Job: running",
    object: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta("migrate", { generation: 1 }),
      spec: { completions: 1 },
      status: { active: 1, startTime: "2025-01-01T00:00:00Z" },
    },
    health: "InProgress",
    message: "0 of 1 completions, 1 active",
  },
  {
    name: "Job: complete",
    object: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta("migrate", { generation: 1 }),
      spec: { completions: 1 },
      status: {
        succeeded: 1,
        conditions: [
          { type: "SuccessCriteriaMet", status: "True" },
          { type: "Complete", status: "True" },
        ],
      },
    },
    health: "Current",
    message: "complete",
  },
  {
    name: "Job: failed",
    object: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta("migrate", { generation: 1 }),
      spec: {},
      status: {
        failed: 7,
        conditions: [
          {
            type: "Failed",
            status: "True",
            reason: "BackoffLimitExceeded",
            message: "Job has reached the specified backoff limit",
          },
        ],
      },
    },
    health: "Failed",
    message: "job failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
  },
  {
    name: "Pod: running and ready",
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta("p"),
      spec: {},
      status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
    },
    health: "Current",
    message: "running and ready",
  },
  {
    name: "Pod: pending",
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta("p"),
      spec: {},
      status: { phase: "Pending" },
    },
    health: "InProgress",
    message: "phase Pending",
  },
  {
    name: "Pod: failed",
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta("p"),
      spec: {},
      status: {
        phase: "Failed",
        reason: "Evicted",
        message: "The node was low on resource: memory.",
      },
    },
    health: "Failed",
    message: "pod failed: Evicted: The node was low on resource: memory.",
  },
  {
    name: "Service: ClusterIP is current at once",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("svc"),
      spec: { type: "ClusterIP", clusterIP: "10.96.0.12" },
      status: { loadBalancer: {} },
    },
    health: "Current",
    message: "service ready",
  },
  {
    name: "Service: LoadBalancer without an address",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("svc"),
      spec: { type: "LoadBalancer", clusterIP: "10.96.0.12" },
      status: { loadBalancer: {} },
    },
    health: "InProgress",
    message: "waiting for a load balancer address",
  },
  {
    name: "Service: LoadBalancer with an ingress address",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("svc"),
      spec: { type: "LoadBalancer" },
      status: { loadBalancer: { ingress: [{ ip: "203.0.113.7", ipMode: "VIP" }] } },
    },
    health: "Current",
    message: "load balancer 203.0.113.7",
  },
  {
    name: "PVC: pending",
    object: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta("data"),
      spec: {},
      status: { phase: "Pending" },
    },
    health: "InProgress",
    message: "phase Pending",
  },
  {
    name: "PVC: bound",
    object: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta("data"),
      spec: {},
      status: { phase: "Bound", capacity: { storage: "1Gi" } },
    },
    health: "Current",
    message: "bound",
  },
  {
    name: "CRD: established",
    object: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      status: {
        conditions: [
          { type: "NamesAccepted", status: "True" },
          { type: "Established", status: "True" },
        ],
      },
    },
    health: "Current",
    message: "established",
  },
  {
    name: "CRD: names not accepted",
    object: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      status: {
        conditions: [
          {
            type: "NamesAccepted",
            status: "False",
            reason: "KindConflict",
            message: "Widget is already in use",
          },
        ],
      },
    },
    health: "Failed",
    message: "names not accepted: KindConflict: Widget is already in use",
  },
  {
    name: "other kinds: Ready=False",
    object: {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: meta("tls", { generation: 1 }),
      status: {
        observedGeneration: 1,
        conditions: [{ type: "Ready", status: "False", reason: "Issuing" }],
      },
    },
    health: "InProgress",
    message: "not ready: Issuing",
  },
  {
    name: "other kinds: Available=True",
    object: {
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: "v1.metrics" },
      status: { conditions: [{ type: "Available", status: "True" }] },
    },
    health: "Current",
    message: "available",
  },
  {
    name: "other kinds: Stalled=True",
    object: {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: meta("w"),
      status: { conditions: [{ type: "Stalled", status: "True", reason: "BadSpec" }] },
    },
    health: "Failed",
    message: "stalled: BadSpec",
  },
  {
    name: "other kinds: no conditions",
    object: { apiVersion: "v1", kind: "ConfigMap", metadata: meta("cm"), data: {} },
    health: "Current",
    message: "applied",
  },
  {
    name: "anything being deleted",
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("cm", { deletionTimestamp: "2025-01-01T00:00:00Z" }),
    },
    health: "Terminating",
    message: "being deleted",
  },
];

for (const entry of cases) {
  test(`status — ${entry.name}`, () => {
    const status = objectStatus(entry.object as KubeObject);
    assert.equal(status.health, entry.health);
    if (typeof entry.message === "string") assert.equal(status.message, entry.message);
    else assert.match(status.message, entry.message);
  });
}

test("status — a missing object is NotFound", () => {
  assert.deepEqual(objectStatus(undefined), { health: "NotFound", message: "not found" });
});
