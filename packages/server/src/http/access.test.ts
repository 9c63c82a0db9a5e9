/**
 * Roles are enforced on every endpoint as GitLab answers (docs: user/permissions,
 * api/rest/troubleshooting#status-codes): no token → 401, a private project you are not a
 * member of → 404 (its existence does not leak), an action above your role → 403. Secrets stay
 * sealed at rest and never reach those who may not manage them.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestProject, type TestServer } from "../testing/server.js";

const SECRET = "Sup3r-Secret-Value-42";

describe("roles and secrets", () => {
  let server: TestServer;
  let project: TestProject;
  const tokens: Record<string, string> = {};

  before(async () => {
    server = await startTestServer();
    project = await server.createProject("guarded");
    for (const [name, level] of [
      ["reporter", 20],
      ["developer", 30],
      ["maintainer", 40],
      ["stranger", 0],
    ] as const) {
      const user = await server.api<{ id: number }>("POST", "/users", {
        username: name,
        name,
        email: `${name}@test`,
      });
      assert.equal(user.status, 201);
      const token = await server.api<{ token: string }>(
        "POST",
        `/users/${user.body.id}/personal_access_tokens`,
        {
          name: "t",
          scopes: ["api"],
        },
      );
      assert.equal(token.status, 201);
      tokens[name] = token.body.token;
      if (level > 0) {
        const member = await server.api("POST", `/projects/${project.id}/members`, {
          user_id: user.body.id,
          access_level: level,
        });
        assert.equal(member.status, 201);
      }
    }
    await server.pushNew(project, { ".gitlab-ci.yml": "job:\n  script: [echo hi]\n" });
  });
  after(() => server.close());

  const as = (who: string, method: string, path: string, body?: unknown) =>
    server.api(method, path, body, who === "anonymous" ? "" : tokens[who]);

  test("each role gets GitLab's answer", async () => {
    const p = `/projects/${project.id}`;
    const expectations: [string, string, string, number, unknown?][] = [
      ["anonymous", "GET", p, 401],
      ["stranger", "GET", p, 404],
      ["stranger", "GET", `${p}/pipelines`, 404],
      ["reporter", "GET", p, 200],
      ["reporter", "GET", `${p}/pipelines`, 200],
      ["reporter", "POST", `${p}/pipeline`, 403, { ref: "main" }],
      ["developer", "POST", `${p}/pipeline`, 201, { ref: "main" }],
      ["reporter", "GET", `${p}/variables`, 403],
      ["developer", "GET", `${p}/variables`, 403],
      ["developer", "POST", `${p}/variables`, 403, { key: "X", value: "y" }],
      [
        "maintainer",
        "POST",
        `${p}/variables`,
        201,
        { key: "DEPLOY_KEY", value: SECRET, masked: true },
      ],
      ["maintainer", "GET", `${p}/variables/DEPLOY_KEY`, 200],
      ["developer", "POST", `${p}/members`, 403, { user_id: 1, access_level: 30 }],
      ["maintainer", "POST", `${p}/members`, 409, { user_id: 1, access_level: 30 }],
      ["maintainer", "PUT", `${p}/members/1`, 403, { access_level: 50 }],
      ["developer", "POST", "/users", 403, { username: "x" }],
      ["developer", "GET", "/runners/all", 403],
      [
        "developer",
        "POST",
        "/user/runners",
        403,
        { runner_type: "project_type", project_id: project.id },
      ],
      [
        "maintainer",
        "POST",
        "/user/runners",
        201,
        { runner_type: "project_type", project_id: project.id },
      ],
      [
        "stranger",
        "POST",
        "/user/runners",
        404,
        { runner_type: "project_type", project_id: project.id },
      ],
    ];
    const wrong: string[] = [];
    for (const [who, method, path, status, body] of expectations) {
      const answer = await as(who, method, path, body);
      if (answer.status !== status)
        wrong.push(`${who} ${method} ${path}: ${answer.status}, expected ${status}`);
      const mayRead = who === "maintainer" && path.includes("/variables");
      if (!mayRead) assert.doesNotMatch(JSON.stringify(answer.body ?? ""), new RegExp(SECRET));
    }
    assert.deepEqual(wrong, []);
  });

  test("a masked value must be maskable, and secrets are sealed at rest", async () => {
    const refused = await as("maintainer", "POST", `/projects/${project.id}/variables`, {
      key: "SHORT",
      value: "short",
      masked: true,
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { message: { value: ["is invalid"] } });

    if (server.database === undefined) {
      const files = (await readdir(server.storeTarget)).filter((f) => f.includes("sqlite"));
      assert.ok(files.length > 0);
      for (const file of files) {
        const bytes = await readFile(join(server.storeTarget, file));
        assert.equal(
          bytes.includes(Buffer.from(SECRET)),
          false,
          `${file} holds the secret in plain text`,
        );
      }
    }
  });

  test("error bodies name no token and no secret", async () => {
    const answer = await server.api(
      "GET",
      `/projects/${project.id}`,
      undefined,
      "glpat-leaky-token-value",
    );
    assert.equal(answer.status, 401);
    assert.doesNotMatch(JSON.stringify(answer.body), /leaky/);
  });
});
