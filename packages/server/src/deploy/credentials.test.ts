/**
 * Cluster credentials at the edges: request bodies become credentials (or a clear refusal),
 * sealing round-trips through the server's secret box without the plain text in the sealed
 * form, and every secret of a token or a kubeconfig is masked in text that leaves the engine.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SecretBox } from "../secrets/secret-box.js";
import { SECRET_KEY } from "../testing/server.js";
import {
  credentialsFromBody,
  openCredentials,
  redact,
  sealCredentials,
  secretsOf,
} from "./credentials.js";

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tQ0FEQVRB
users:
- name: deployer
  user:
    token: "kubeconfig-Token-abcdef0123456789"
    client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tS0VZREFUQQ==
contexts:
- name: prod
  context: { cluster: prod, user: deployer }
current-context: prod
`;

describe("cluster credentials", () => {
  test("a body gives a kubeconfig or a server with a token, and says what is missing", () => {
    assert.deepEqual(credentialsFromBody({ kubeconfig: KUBECONFIG }), {
      kind: "kubeconfig",
      credentials: { kubeconfig: KUBECONFIG },
    });
    assert.deepEqual(
      credentialsFromBody({
        server: "https://k8s.test:6443",
        token: "t0ken-0123456789",
        ca_data: "PEM",
        insecure_skip_tls_verify: true,
      }),
      {
        kind: "token",
        credentials: {
          server: "https://k8s.test:6443",
          token: "t0ken-0123456789",
          caData: "PEM",
          insecureSkipTlsVerify: true,
        },
      },
    );
    assert.deepEqual(credentialsFromBody({ server: "https://k8s.test" }), {
      error: "kubeconfig, or server and token, are required",
    });
    assert.deepEqual(credentialsFromBody({ server: "k8s.test", token: "x" }), {
      error: "server must be an http(s) URL",
    });
    assert.match(
      (credentialsFromBody({ kubeconfig: "x", token: "y" }) as { error: string }).error,
      /not both/,
    );
  });

  test("sealed credentials hold no plain text and open to what was sealed", () => {
    const box = new SecretBox(SECRET_KEY);
    const credentials = { server: "https://k8s.test", token: "t0ken-Plain-0123456789" };
    const sealed = sealCredentials(box, credentials);
    assert.ok(!sealed.includes("t0ken-Plain"));
    assert.deepEqual(
      openCredentials(box, {
        id: 1,
        name: "c",
        credentialKind: "token",
        credentialsCiphertext: sealed,
        createdAt: 0,
      }),
      credentials,
    );
  });

  test("every secret of a kubeconfig is masked, ordinary words are not", () => {
    const secrets = secretsOf({ kubeconfig: KUBECONFIG });
    assert.deepEqual(
      new Set(secrets),
      new Set([
        "kubeconfig-Token-abcdef0123456789",
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tS0VZREFUQQ==",
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tQ0FEQVRB",
      ]),
    );
    assert.equal(
      redact("401 for token kubeconfig-Token-abcdef0123456789 at https://10.0.0.1:6443", secrets),
      "401 for token [MASKED] at https://10.0.0.1:6443",
    );
    assert.deepEqual(secretsOf({ server: "https://x", token: "short" }), []);
    assert.deepEqual(
      secretsOf({ server: "https://x", token: "long-enough-token", caData: "PEMDATA-0123\n" }),
      ["long-enough-token", "PEMDATA-0123"],
    );
  });
});
