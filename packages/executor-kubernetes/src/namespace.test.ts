/**
 * Which namespace the executor's pods go to when no `namespace` option is given: the current
 * context's, as kubectl chooses (`conveyor run --executor kubernetes` documents that), else
 * `default`. Pure: the client configuration is built in memory, no cluster is contacted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { KubernetesExecutor, namespaceOf } from "./executor.js";

function configWith(contextNamespace: string | undefined): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u", token: "not-a-real-token" }],
    contexts: [
      {
        name: "with-ns",
        cluster: "c",
        user: "u",
        ...(contextNamespace ? { namespace: contextNamespace } : {}),
      },
      { name: "other", cluster: "c", user: "u", namespace: "not-current" },
    ],
    currentContext: "with-ns",
  });
  return config;
}

describe("Kubernetes executor: the pods' namespace", () => {
  it("is the namespace option when one is given", () => {
    assert.equal(namespaceOf({ namespace: "ci" }, configWith("team-a")), "ci");
    const executor = new KubernetesExecutor({ kubeConfig: configWith("team-a"), namespace: "ci" });
    assert.equal(executor.namespace, "ci");
  });

  it("is the current context's namespace without the option", () => {
    assert.equal(namespaceOf({}, configWith("team-a")), "team-a");
    assert.equal(namespaceOf({ namespace: "" }, configWith("team-a")), "team-a");
    const executor = new KubernetesExecutor({ kubeConfig: configWith("team-a") });
    assert.equal(executor.namespace, "team-a");
  });

  it("is default when neither names one", () => {
    assert.equal(namespaceOf({}, configWith(undefined)), "default");
    assert.equal(
      new KubernetesExecutor({ kubeConfig: configWith(undefined) }).namespace,
      "default",
    );
  });
});
