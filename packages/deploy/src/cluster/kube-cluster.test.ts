import assert from "node:assert/strict";
import { test } from "node:test";
import { kubeConfigFor } from "./kube-cluster.js";

const secret = "c2VjcmV0LXRva2VuLXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==";

test("an unreadable kubeconfig is reported without quoting it", () => {
  const kubeconfig = `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: ${secret}\n    bad: [unclosed\n`;
  assert.throws(
    () => kubeConfigFor({ kubeconfig }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^the cluster's kubeconfig cannot be read/);
      assert.ok(!error.message.includes(secret.slice(0, 12)));
      return true;
    },
  );
});

test("server, token and a PEM CA become the current cluster and user", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const config = kubeConfigFor({ server: "https://127.0.0.1:6443", token: "t0k3n", caData: pem });
  assert.equal(config.getCurrentCluster()?.server, "https://127.0.0.1:6443");
  assert.equal(
    Buffer.from(config.getCurrentCluster()?.caData ?? "", "base64").toString(),
    pem.trim(),
  );
  assert.equal(config.getCurrentUser()?.token, "t0k3n");
  assert.throws(() => kubeConfigFor({}), /need a kubeconfig or a server URL/);
});
