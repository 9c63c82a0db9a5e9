import assert from "node:assert/strict";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { rootCertificates } from "node:tls";
import { getText } from "./http-get-text.js";
import { makeTestCa, type TestCa } from "./testing/test-ca.js";

const OPTIONS = { timeoutMs: 5_000, maxBytes: 1_000 };

async function listen(server: Server, handler: RequestListener): Promise<string> {
  server.on("request", handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What both servers answer, by path. */
const routes: RequestListener = (request, response) => {
  const path = request.url ?? "/";
  if (path === "/ci.yml") response.end("build:\n  script: make\n");
  else if (path === "/moved") response.writeHead(302, { location: "/ci.yml" }).end();
  else if (path.startsWith("/loop/")) {
    const n = Number(path.slice("/loop/".length));
    response.writeHead(307, { location: `/loop/${n + 1}` }).end();
  } else if (path === "/large") response.end("x".repeat(5_000));
  else if (path === "/silent") response.flushHeaders();
  else response.writeHead(404).end("not here");
};

describe("getText", () => {
  const http = createHttpServer();
  const https = createHttpsServer();
  let plain = "";
  let secure = "";
  let ca: TestCa;

  before(async () => {
    ca = makeTestCa();
    https.setSecureContext({ key: ca.key, cert: ca.cert });
    plain = `http://${await listen(http, routes)}`;
    secure = `https://${await listen(https, routes)}`;
  });
  after(() => {
    http.closeAllConnections();
    https.closeAllConnections();
    http.close();
    https.close();
  });

  test("returns the status and the body", async () => {
    assert.deepEqual(await getText(`${plain}/ci.yml`, OPTIONS), {
      url: `${plain}/ci.yml`,
      status: 200,
      text: "build:\n  script: make\n",
    });
    assert.equal((await getText(`${plain}/nothing`, OPTIONS)).status, 404);
  });

  test("follows redirects, relative ones included, to where they end", async () => {
    const answer = await getText(`${plain}/moved`, OPTIONS);
    assert.equal(answer.url, `${plain}/ci.yml`);
    assert.equal(answer.text, "build:\n  script: make\n");
  });

  test("gives up after 20 redirects, as fetch does", async () => {
    // Every /loop/N redirects to /loop/N+1.
    await assert.rejects(getText(`${plain}/loop/0`, OPTIONS), /more than 20 redirects/);
  });

  test("refuses a body over the cap, and a server that does not answer in time", async () => {
    await assert.rejects(getText(`${plain}/large`, OPTIONS), /larger than 1000 bytes/);
    await assert.rejects(
      getText(`${plain}/silent`, { ...OPTIONS, timeoutMs: 300 }),
      /no answer within 300 ms/,
    );
  });

  test("refuses what is not http(s), redirects included", async () => {
    await assert.rejects(getText("ftp://127.0.0.1/ci.yml", OPTIONS), /not an http\(s\) URL/);
  });

  test("over https, trusts the certificates it is given, and by default only Node's", async () => {
    await assert.rejects(
      getText(`${secure}/ci.yml`, OPTIONS),
      /self.signed|unable to (get|verify)/i,
    );
    const trusting = { ...OPTIONS, ca: [...rootCertificates, ca.caPem] };
    const answer = await getText(`${secure}/moved`, trusting);
    assert.equal(answer.status, 200);
    assert.equal(answer.text, "build:\n  script: make\n");
  });
});
