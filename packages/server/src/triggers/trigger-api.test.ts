import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { ACCESS_LEVELS, type ProjectRecord } from "../store/types.js";
import {
  as,
  parsingLikeServer,
  RecordingStarter,
  SERVER_URL,
  world,
  type World,
} from "./test-support.js";
import { registerTriggerApi } from "./trigger-api.js";

let w: World;
let app: FastifyInstance;
let starter: RecordingStarter;

before(async () => {
  w = await world();
  starter = new RecordingStarter(w.store);
  app = await parsingLikeServer();
  registerTriggerApi(app, {
    store: w.store,
    starter,
    clock: () => Date.now(),
    serverUrl: SERVER_URL,
  });
  await app.ready();
});

after(async () => {
  await app.close();
  await w.dispose();
});

beforeEach(() => {
  starter.calls.length = 0;
  starter.error = undefined;
});

const triggers = (project: ProjectRecord = w.project) => `/api/v4/projects/${project.id}/triggers`;

async function createToken(description = "deploy"): Promise<{ id: number; token: string }> {
  const answer = await app.inject({
    method: "POST",
    url: triggers(),
    headers: as(w.maintainer),
    payload: { description },
  });
  assert.equal(answer.statusCode, 201);
  return answer.json();
}

function multipartBody(fields: [string, string][]) {
  const boundary = "conveyor-test-boundary";
  const body =
    fields
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      )
      .join("") + `--${boundary}--\r\n`;
  return {
    payload: body,
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

describe("trigger token management", () => {
  test("needs a token (401), hides a private project from strangers (404), refuses reporters and developers (403)", async () => {
    for (const method of ["GET", "POST"] as const) {
      const payload = method === "POST" ? { description: "x" } : undefined;
      const anonymous = await app.inject({
        method,
        url: triggers(),
        ...(payload ? { payload } : {}),
      });
      assert.equal(anonymous.statusCode, 401, `${method} anonymous`);
      const stranger = await app.inject({
        method,
        url: triggers(),
        headers: as(w.stranger),
        ...(payload ? { payload } : {}),
      });
      assert.equal(stranger.statusCode, 404, `${method} stranger`);
      for (const member of [w.reporter, w.developer]) {
        const answer = await app.inject({
          method,
          url: triggers(),
          headers: as(member),
          ...(payload ? { payload } : {}),
        });
        assert.equal(answer.statusCode, 403, `${method} ${member.user.username}`);
      }
    }
    const created = await createToken("kept");
    const denied = await app.inject({
      method: "DELETE",
      url: `${triggers()}/${created.id}`,
      headers: as(w.reporter),
    });
    assert.equal(denied.statusCode, 403);
  });

  test("shows the full token only when creating it; lists show glptt- and four characters", async () => {
    const created = await createToken("nightly deploy");
    assert.match(created.token, /^glptt-[A-Za-z0-9_-]{20,}$/);
    const listed = await app.inject({ method: "GET", url: triggers(), headers: as(w.owner) });
    assert.equal(listed.statusCode, 200);
    const entry = listed.json().find((t: { id: number }) => t.id === created.id);
    assert.equal(entry.description, "nightly deploy");
    assert.equal(entry.token, created.token.slice(0, "glptt-".length + 4));
    assert.equal(entry.owner.username, w.maintainer.user.username);
    assert.equal(entry.last_used, null);
    assert.ok(!listed.body.includes(created.token));
    const single = await app.inject({
      method: "GET",
      url: `${triggers()}/${created.id}`,
      headers: as(w.maintainer),
    });
    assert.equal(single.json().token, entry.token);
  });

  test("description is required", async () => {
    const answer = await app.inject({
      method: "POST",
      url: triggers(),
      headers: as(w.maintainer),
      payload: {},
    });
    assert.equal(answer.statusCode, 400);
    assert.deepEqual(answer.json(), { error: "description is missing" });
  });

  test("deleting a token answers 204 and the token stops working", async () => {
    const created = await createToken("short-lived");
    const deleted = await app.inject({
      method: "DELETE",
      url: `${triggers()}/${created.id}`,
      headers: as(w.maintainer),
    });
    assert.equal(deleted.statusCode, 204);
    const again = await app.inject({
      method: "DELETE",
      url: `${triggers()}/${created.id}`,
      headers: as(w.maintainer),
    });
    assert.equal(again.statusCode, 404);
    const run = await app.inject({
      method: "POST",
      url: `/api/v4/projects/${w.project.id}/trigger/pipeline`,
      payload: { token: created.token, ref: "main" },
    });
    assert.equal(run.statusCode, 404);
    assert.equal(starter.calls.length, 0);
  });
});

describe("POST /projects/:id/trigger/pipeline", () => {
  const url = () => `/api/v4/projects/${w.project.id}/trigger/pipeline`;

  test("JSON body with a variables object starts a trigger pipeline as the token's owner", async () => {
    const { token } = await createToken();
    const answer = await app.inject({
      method: "POST",
      url: url(),
      payload: { token, ref: "main", variables: { DEPLOY_ENV: "staging", EMPTY: "" } },
    });
    assert.equal(answer.statusCode, 201);
    const pipeline = answer.json();
    assert.equal(pipeline.source, "trigger");
    assert.equal(pipeline.ref, "main");
    assert.equal(pipeline.project_id, w.project.id);
    assert.equal(starter.calls.length, 1);
    const { request } = starter.calls[0]!;
    assert.equal(request.source, "trigger");
    assert.equal(request.ref, "main");
    assert.deepEqual(request.variables, { DEPLOY_ENV: "staging", EMPTY: "" });
    assert.equal(request.user?.id, w.maintainer.user.id);
    assert.equal(pipeline.id, (await w.store.pipelines.byId(pipeline.id))?.id);
  });

  test("form-encoded body with variables[KEY]=value", async () => {
    const { token } = await createToken();
    const answer = await app.inject({
      method: "POST",
      url: url(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({
        token,
        ref: "release/1.0",
        "variables[A]": "1",
        "variables[B_2]": "x y&z",
      }).toString(),
    });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.deepEqual(starter.calls[0]?.request.variables, { A: "1", B_2: "x y&z" });
    assert.equal(starter.calls[0]?.request.ref, "release/1.0");
  });

  test("query string parameters, as `curl -X POST …?token=…&ref=…` sends them", async () => {
    const { token } = await createToken();
    const query = new URLSearchParams({ token, ref: "main", "variables[FROM]": "query" });
    const answer = await app.inject({ method: "POST", url: `${url()}?${query}` });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.deepEqual(starter.calls[0]?.request.variables, { FROM: "query" });
  });

  test("multipart body, as `curl --form token=… --form ref=… --form variables[K]=v` sends it", async () => {
    const { token } = await createToken();
    const answer = await app.inject({
      method: "POST",
      url: url(),
      ...multipartBody([
        ["token", token],
        ["ref", "main"],
        ["variables[UPLOADED]", "yes"],
      ]),
    });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.deepEqual(starter.calls[0]?.request.variables, { UPLOADED: "yes" });
  });

  test("the ref may be in the path (webhook form) and the project named by its path", async () => {
    const { token } = await createToken();
    const answer = await app.inject({
      method: "POST",
      url: `/api/v4/projects/${encodeURIComponent(w.project.path)}/ref/v1.2.3/trigger/pipeline?token=${token}`,
    });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.equal(starter.calls[0]?.request.ref, "v1.2.3");
  });

  test("records when a token was last used", async () => {
    const { id, token } = await createToken("used");
    await app.inject({ method: "POST", url: url(), payload: { token, ref: "main" } });
    const listed = await app.inject({ method: "GET", url: triggers(), headers: as(w.maintainer) });
    const entry = listed.json().find((t: { id: number }) => t.id === id);
    assert.notEqual(entry.last_used, null);
  });

  test("an unknown token or another project's token answers 404 Not Found and starts nothing", async () => {
    const other = await w.store.projects.create(
      {
        path: "group/other",
        name: "other",
        description: "",
        defaultBranch: "main",
        visibility: "private",
      },
      Date.now(),
    );
    await w.store.projects.setMember({
      projectId: other.id,
      userId: w.maintainer.user.id,
      accessLevel: ACCESS_LEVELS.maintainer,
    });
    const { token } = await createToken();
    for (const attempt of [
      { url: url(), token: "glptt-not-a-real-token" },
      { url: `/api/v4/projects/${other.id}/trigger/pipeline`, token },
      { url: "/api/v4/projects/999999/trigger/pipeline", token },
    ]) {
      const answer = await app.inject({
        method: "POST",
        url: attempt.url,
        payload: { token: attempt.token, ref: "main" },
      });
      assert.equal(answer.statusCode, 404);
      assert.deepEqual(answer.json(), { message: "404 Not Found" });
    }
    assert.equal(starter.calls.length, 0);
  });

  test("missing ref or token answers 400", async () => {
    const { token } = await createToken();
    const noRef = await app.inject({ method: "POST", url: url(), payload: { token } });
    assert.equal(noRef.statusCode, 400);
    assert.deepEqual(noRef.json(), { error: "ref is missing" });
    const noToken = await app.inject({ method: "POST", url: url(), payload: { ref: "main" } });
    assert.equal(noToken.statusCode, 400);
    assert.deepEqual(noToken.json(), { error: "token is missing" });
    assert.equal(starter.calls.length, 0);
  });

  test("variables that are not a map of strings answer 400", async () => {
    const { token } = await createToken();
    for (const variables of [{ N: 1 }, ["A"], "A=1"]) {
      const answer = await app.inject({
        method: "POST",
        url: url(),
        payload: { token, ref: "main", variables },
      });
      assert.equal(answer.statusCode, 400, JSON.stringify(variables));
      assert.deepEqual(answer.json(), {
        message: "variables needs to be a map of key-valued strings",
      });
    }
    assert.equal(starter.calls.length, 0);
  });

  test("a pipeline that cannot start answers 400 with the reason", async () => {
    const { token } = await createToken();
    starter.error = "Reference not found";
    const answer = await app.inject({
      method: "POST",
      url: url(),
      payload: { token, ref: "nope" },
    });
    assert.equal(answer.statusCode, 400);
    assert.deepEqual(answer.json(), { message: "Reference not found" });
  });

  test("a token whose owner is no longer a Developer starts nothing", async () => {
    const { token } = await createToken();
    await w.store.projects.setMember({
      projectId: w.project.id,
      userId: w.maintainer.user.id,
      accessLevel: ACCESS_LEVELS.reporter,
    });
    try {
      const answer = await app.inject({
        method: "POST",
        url: url(),
        payload: { token, ref: "main" },
      });
      assert.equal(answer.statusCode, 400);
      await w.store.projects.removeMember(w.project.id, w.maintainer.user.id);
      const gone = await app.inject({
        method: "POST",
        url: url(),
        payload: { token, ref: "main" },
      });
      assert.equal(gone.statusCode, 404);
      assert.equal(starter.calls.length, 0);
    } finally {
      await w.store.projects.setMember({
        projectId: w.project.id,
        userId: w.maintainer.user.id,
        accessLevel: ACCESS_LEVELS.maintainer,
      });
    }
  });
});
