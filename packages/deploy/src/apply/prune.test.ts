import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject, ObjectRef } from "../types.js";
import { mergeInventory, prunable, selectPrunes } from "./prune.js";
import { placeObject } from "./resolve.js";

const ref = (
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
  uid?: string,
): ObjectRef => ({
  apiVersion,
  kind,
  name,
  ...(namespace ? { namespace } : {}),
  ...(uid ? { uid } : {}),
});

test("only previous-inventory objects the version dropped are pruned, routes first and namespaces last", () => {
  const previous = [
    ref("v1", "Namespace", "shop"),
    ref("v1", "Service", "home", "shop"),
    ref("apps/v1", "Deployment", "home", "shop"),
    ref("networking.k8s.io/v1", "Ingress", "shop", "shop"),
    ref("v1", "ConfigMap", "old", "shop"),
    ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com"),
    ref("v1", "ConfigMap", "old", "shop"),
  ];
  const current = [
    ref("v1", "Service", "home", "shop"),
    ref("apps/v1", "Deployment", "home", "shop"),
  ];
  assert.deepEqual(selectPrunes(previous, current), [
    ref("networking.k8s.io/v1", "Ingress", "shop", "shop"),
    ref("v1", "ConfigMap", "old", "shop"),
    ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com"),
    ref("v1", "Namespace", "shop"),
  ]);
});

test("the same object through another API version, or in another namespace, is told apart correctly", () => {
  const previous = [
    ref("apps/v1beta2", "Deployment", "home", "shop"),
    ref("v1", "ConfigMap", "cfg", "staging"),
  ];
  const current = [
    ref("apps/v1", "Deployment", "home", "shop"),
    ref("v1", "ConfigMap", "cfg", "prod"),
  ];
  assert.deepEqual(selectPrunes(previous, current), [ref("v1", "ConfigMap", "cfg", "staging")]);
  assert.deepEqual(selectPrunes([], current), []);
});

test("a live object is pruned only if it is the inventory's object and carries our applied fields", () => {
  const live = (uid: string, managers: { manager: string; operation: string }[]): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "old", namespace: "shop", uid, managedFields: managers },
  });
  const ours = [{ manager: "conveyor", operation: "Apply" }];
  assert.equal(
    prunable(ref("v1", "ConfigMap", "old", "shop", "u1"), live("u1", ours), "conveyor"),
    undefined,
  );
  assert.equal(
    prunable(ref("v1", "ConfigMap", "old", "shop"), live("u9", ours), "conveyor"),
    undefined,
  );
  assert.match(
    prunable(ref("v1", "ConfigMap", "old", "shop", "u1"), live("u2", ours), "conveyor") ?? "",
    /UID is u2, not the u1/,
  );
  assert.match(
    prunable(
      ref("v1", "ConfigMap", "old", "shop", "u1"),
      live("u1", [{ manager: "kubectl-client-side-apply", operation: "Update" }]),
      "conveyor",
    ) ?? "",
    /no fields applied by conveyor/,
  );
  assert.match(
    prunable(
      ref("v1", "ConfigMap", "old", "shop", "u1"),
      live("u1", [{ manager: "conveyor", operation: "Update" }]),
      "conveyor",
    ) ?? "",
    /no fields/,
  );
});

test("the next inventory is what was applied plus what could not be pruned, without duplicates", () => {
  const applied = [ref("v1", "Service", "home", "shop", "new-uid")];
  const leftovers = [
    ref("v1", "Service", "home", "shop", "old-uid"),
    ref("v1", "ConfigMap", "old", "shop", "c1"),
  ];
  assert.deepEqual(mergeInventory(applied, leftovers), [
    ref("v1", "Service", "home", "shop", "new-uid"),
    ref("v1", "ConfigMap", "old", "shop", "c1"),
  ]);
});

test("namespaced objects get the target namespace unless they name one; cluster-scoped ones lose theirs", () => {
  const object: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } };
  assert.equal(placeObject(object, true, "shop").metadata.namespace, "shop");
  assert.equal(
    placeObject({ ...object, metadata: { name: "a", namespace: "other" } }, true, "shop").metadata
      .namespace,
    "other",
  );
  assert.equal(
    placeObject({ ...object, metadata: { name: "a", namespace: "other" } }, false, "shop").metadata
      .namespace,
    undefined,
  );
  assert.equal(object.metadata.namespace, undefined, "the rendered object is not modified");
});
