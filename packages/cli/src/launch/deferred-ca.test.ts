import assert from "node:assert/strict";
import { test } from "node:test";
import { rootCertificates } from "node:tls";
import { DEFERRED_CA_CERTS, takeDeferredCaCerts, trustedCertificates } from "./deferred-ca.js";
import { makeTestCa } from "../testing/test-ca.js";

test("takeDeferredCaCerts puts NODE_EXTRA_CA_CERTS back and says which file it names", () => {
  const env: Record<string, string | undefined> = { [DEFERRED_CA_CERTS]: "/etc/ca.pem", A: "1" };
  assert.equal(takeDeferredCaCerts(env), "/etc/ca.pem");
  assert.deepEqual(env, { A: "1", NODE_EXTRA_CA_CERTS: "/etc/ca.pem" });
  // Nothing was moved: nothing changes.
  assert.equal(takeDeferredCaCerts(env), undefined);
  assert.deepEqual(env, { A: "1", NODE_EXTRA_CA_CERTS: "/etc/ca.pem" });
  // An empty variable is put back as it was, and names no file (Node ignores it too).
  const empty: Record<string, string | undefined> = { [DEFERRED_CA_CERTS]: "" };
  assert.equal(takeDeferredCaCerts(empty), undefined);
  assert.deepEqual(empty, { NODE_EXTRA_CA_CERTS: "" });
});

test("trustedCertificates adds the file's certificates to Node's roots, or warns and leaves them out", async () => {
  const ca = makeTestCa();
  const warnings: string[] = [];
  const trusted = await trustedCertificates(ca.caFile, (message) => warnings.push(message));
  assert.deepEqual(trusted, [...rootCertificates, ca.caPem]);
  assert.equal(warnings.length, 0);
  const missing = await trustedCertificates("/no/such/ca.pem", (message) => warnings.push(message));
  assert.deepEqual(missing, [...rootCertificates]);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0] ?? "",
    /^Warning: Ignoring extra certs from `\/no\/such\/ca\.pem`, load failed: .*ENOENT/,
  );
});
