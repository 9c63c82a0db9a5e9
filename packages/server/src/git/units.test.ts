import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, it } from "node:test";
import { ZERO_SHA } from "../pipelines/trigger.js";
import { parseCgiHead, readCgiHead } from "./cgi-response.js";
import { isRefShortName } from "./ref-names.js";
import { refUpdates, type RefSnapshot } from "./ref-snapshot.js";
import { basicCredentials, projectPathOf } from "./smart-http.js";

describe("isRefShortName", () => {
  it("accepts ordinary branch and tag names", () => {
    for (const name of ["main", "feature/x-1", "v1.0.0", "release/2024.03", "ünïcode", "a@b"]) {
      assert.equal(isRefShortName(name), true, name);
    }
  });

  it("refuses what git-check-ref-format refuses, and options", () => {
    for (const name of [
      "",
      "@",
      "-x",
      "--all",
      "a..b",
      "main~1",
      "v1^{}",
      "a:b",
      "a b",
      "a?",
      "a*",
      "a[",
      "a\\b",
      "a@{1}",
      "/a",
      "a/",
      "a//b",
      "a.",
      ".hidden",
      "a/.b",
      "x.lock",
      "a/x.lock/b",
      "tab\there",
      "nl\nhere",
    ]) {
      assert.equal(isRefShortName(name), false, JSON.stringify(name));
    }
  });
});

describe("refUpdates", () => {
  const A = "a".repeat(40);
  const B = "b".repeat(40);
  const T = "c".repeat(40);

  it("reports created and moved branches and tags, peeled, and leaves deletions out", () => {
    const before: RefSnapshot = new Map([
      ["refs/heads/main", { object: A, commit: A }],
      ["refs/heads/gone", { object: A, commit: A }],
      ["refs/heads/same", { object: A, commit: A }],
    ]);
    const after: RefSnapshot = new Map([
      ["refs/tags/v1", { object: T, commit: B }],
      ["refs/heads/main", { object: B, commit: B }],
      ["refs/heads/same", { object: A, commit: A }],
      ["refs/heads/new", { object: A, commit: A }],
      ["refs/tags/tree-tag", { object: T }],
      ["refs/notes/commits", { object: B, commit: B }],
    ]);
    assert.deepEqual(refUpdates(before, after), [
      { ref: { kind: "branch", name: "main" }, before: A, after: B },
      { ref: { kind: "branch", name: "new" }, before: ZERO_SHA, after: A },
      { ref: { kind: "tag", name: "v1" }, before: ZERO_SHA, after: B },
    ]);
  });
});

describe("CGI responses", () => {
  it("parses the head: Status sets the code, other lines are headers", () => {
    assert.deepEqual(
      parseCgiHead(
        "Status: 403 Forbidden\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980",
      ),
      {
        status: 403,
        headers: [
          ["Content-Type", "text/plain"],
          ["Expires", "Fri, 01 Jan 1980"],
        ],
      },
    );
    assert.equal(parseCgiHead("Content-Type: x").status, 200);
  });

  it("leaves the body in the stream, however the head was split into chunks", async () => {
    const body = "0000body\r\n\r\nwith blank lines\n\n";
    const output = Readable.from([
      Buffer.from("Content-Type: application/x-git"),
      Buffer.from("\r\nCache-Control: no-cache\r"),
      Buffer.from(`\n\r\n${body.slice(0, 5)}`),
      Buffer.from(body.slice(5)),
    ]);
    const head = await readCgiHead(output);
    assert.deepEqual(head.headers, [
      ["Content-Type", "application/x-git"],
      ["Cache-Control", "no-cache"],
    ]);
    assert.equal(await text(output), body);
  });

  it("rejects output that ends before its head does", async () => {
    await assert.rejects(readCgiHead(Readable.from([Buffer.from("Content-Type: x\r\n")])), /ended/);
  });
});

describe("smart HTTP request parts", () => {
  it("reads Basic credentials, the password may hold colons", () => {
    const header = `Basic ${Buffer.from("oauth2:a:b").toString("base64")}`;
    assert.deepEqual(basicCredentials(header), { username: "oauth2", password: "a:b" });
    assert.equal(basicCredentials("Bearer x"), undefined);
    assert.equal(basicCredentials(undefined), undefined);
    assert.equal(basicCredentials(`Basic ${Buffer.from("nocolon").toString("base64")}`), undefined);
  });

  it("maps route segments to a project path, with or without .git", () => {
    assert.equal(projectPathOf(["group", "sub", "app.git"]), "group/sub/app");
    assert.equal(projectPathOf(["group", "app"]), "group/app");
    assert.equal(projectPathOf(["group", ".."]), undefined);
    assert.equal(projectPathOf(["a%2Fb".replace("%2F", "/"), "x"]), undefined);
    assert.equal(projectPathOf([]), undefined);
  });
});
