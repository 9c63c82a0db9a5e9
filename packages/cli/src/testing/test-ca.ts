/**
 * A certificate authority of the tests' own, made with the openssl command: a CA certificate and
 * a server certificate it signed for 127.0.0.1 and localhost, to serve HTTPS that only a client
 * trusting that CA accepts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  /** The CA's certificate (PEM), and the file holding it. */
  caPem: string;
  caFile: string;
  /** The server's key and certificate (PEM). */
  key: string;
  cert: string;
}

function openssl(dir: string, ...args: string[]): void {
  const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** Makes a CA and a server certificate for 127.0.0.1/localhost in a temporary folder. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-test-ca-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Conveyor test CA",
  );
  openssl(
    dir,
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  );
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return {
    caPem: read("ca.pem"),
    caFile: join(dir, "ca.pem"),
    key: read("server.key"),
    cert: read("server.pem"),
  };
}
