import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../types.js";
import { diffYaml, forDiff, unifiedDiff } from "./normalize.js";

const live: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    uid: "u1",
    resourceVersion: "42",
    generation: 3,
    creationTimestamp: "2025-01-01T00:00:00Z",
    managedFields: [{ manager: "conveyor" }],
    labels: { app: "web" },
  },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "app:1" }] } } },
  status: { replicas: 2 },
};

test("server-owned fields are left out of diffs", () => {
  assert.deepEqual(forDiff(live), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
    spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "app:1" }] } } },
  });
});

test("a unified diff shows the changed line and nothing for equal objects", () => {
  const changed = {
    ...live,
    spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "app:2" }] } } },
    metadata: { ...live.metadata, resourceVersion: "43" },
  };
  const text = unifiedDiff("shop/deployment/web", diffYaml(live), diffYaml(changed));
  assert.match(text, /^--- live\/shop\/deployment\/web$/m);
  assert.match(text, /^\+\+\+ version\/shop\/deployment\/web$/m);
  assert.match(text, /^--- /);
  assert.match(text, /^- +- image: app:1$/m);
  assert.match(text, /^\+ +- image: app:2$/m);
  assert.equal(text.split("\n").filter((line) => /^[-+] /.test(line)).length, 2);
  assert.equal(
    unifiedDiff("x", diffYaml(live), diffYaml({ ...live, status: { replicas: 9 } })),
    "",
  );
});
