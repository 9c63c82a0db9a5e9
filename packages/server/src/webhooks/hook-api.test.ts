import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { commitFiles, createRepository, git } from "@conveyor/runner/testing";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { SecretBox } from "../secrets/secret-box.js";
import {
  as,
  type Member,
  parsingLikeServer,
  RecordingStarter,
  SERVER_URL,
  world,
  type World,
} from "../triggers/test-support.js";
import { isAcceptableCloneUrl, redactedCloneUrl } from "./clone-url.js";
import { registerInboundHooks } from "./hook-api.js";

const ZERO = "0".repeat(40);
const SECRETS = {
  gitlab: "gitlab-secret-Ae3uXq9v",
  github: "github-secret-Lp0wZr7t",
  gitea: "gitea-secret-Hn5kYd2s",
};

let w: World;
let app: FastifyInstance;
let starter: RecordingStarter;
let dir: string;
let source: string;
let hosted: string;
let mainSha: string;
const hooks: Record<keyof typeof SECRETS, number> = { gitlab: 0, github: 0, gitea: 0 };
/** Every answer this file received, to check that no secret ever appears in one. */
const answers: string[] = [];

async function call(options: InjectOptions): Promise<LightMyRequestResponse> {
  const answer = await app.inject(options);
  answers.push(JSON.stringify(answer.headers) + answer.body);
  return answer;
}

before(async () => {
  w = await world();
  starter = new RecordingStarter(w.store);
  dir = await mkdtemp(join(tmpdir(), "conveyor-hooks-"));
  source = join(dir, "source");
  hosted = join(dir, "hosted.git");
  mainSha = await createRepository(source, { ".gitlab-ci.yml": "build:\n  script: [make]\n" });
  git(dir, "init", "-q", "--bare", hosted);
  app = await parsingLikeServer();
  registerInboundHooks(app, {
    store: w.store,
    secrets: new SecretBox("webhook-test-secret-key-0123456789abcdef"),
    starter,
    clock: () => Date.now(),
    serverUrl: SERVER_URL,
    repositoryPath: (project) => (project.id === w.project.id ? hosted : join(dir, "elsewhere")),
    allowLocalCloneUrls: true,
  });
  await app.ready();
  const cloneUrls = { gitlab: source, github: pathToFileURL(source).href, gitea: source };
  for (const provider of ["gitlab", "github", "gitea"] as const) {
    const answer = await createHook(w.maintainer, {
      provider,
      secret: SECRETS[provider],
      clone_url: cloneUrls[provider],
    });
    assert.equal(answer.statusCode, 201, answer.body);
    hooks[provider] = answer.json().id;
  }
});

after(async () => {
  await app.close();
  await w.dispose();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  starter.calls.length = 0;
  starter.error = undefined;
});

function createHook(member: Member | undefined, payload: Record<string, string>) {
  return call({
    method: "POST",
    url: `/api/v4/projects/${w.project.id}/inbound_hooks`,
    headers: member ? as(member) : {},
    payload,
  });
}

const sign = (secret: string, body: string) =>
  createHmac("sha256", secret).update(body).digest("hex");

function deliver(
  provider: keyof typeof SECRETS,
  event: string,
  payload: object,
  auth: "valid" | "wrong" | "none" = "valid",
) {
  const body = JSON.stringify(payload);
  const secret = auth === "wrong" ? "not-the-secret" : SECRETS[provider];
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (provider === "gitlab") {
    headers["x-gitlab-event"] = event;
    if (auth !== "none") headers["x-gitlab-token"] = secret;
  } else if (provider === "github") {
    headers["x-github-event"] = event;
    if (auth !== "none") headers["x-hub-signature-256"] = `sha256=${sign(secret, body)}`;
  } else {
    headers["x-gitea-event"] = event;
    if (auth !== "none") headers["x-gitea-signature"] = sign(secret, body);
  }
  return call({
    method: "POST",
    url: `/api/v4/hooks/inbound/${hooks[provider]}`,
    headers,
    payload: body,
  });
}

const pushEvent = { gitlab: "Push Hook", github: "push", gitea: "push" } as const;

function hostedRef(ref: string): string | undefined {
  try {
    return git(hosted, "rev-parse", "--verify", "--quiet", ref);
  } catch {
    return undefined;
  }
}

/** A new branch in the source repository with one commit; answers its sha. */
async function newBranch(name: string): Promise<string> {
  git(source, "checkout", "-q", "-b", name, "main");
  const sha = await commitFiles(source, { [`${name}.txt`]: name }, `on ${name}`);
  git(source, "checkout", "-q", "main");
  return sha;
}

describe("managing inbound hooks", () => {
  test("Maintainers only: 401 anonymous, 404 stranger, 403 developer", async () => {
    const body = {
      provider: "gitlab",
      secret: "s3cret-value",
      clone_url: "https://gitlab.example.test/g/app.git",
    };
    assert.equal((await createHook(undefined, body)).statusCode, 401);
    assert.equal((await createHook(w.stranger, body)).statusCode, 404);
    assert.equal((await createHook(w.developer, body)).statusCode, 403);
    const list = await call({
      method: "GET",
      url: `/api/v4/projects/${w.project.id}/inbound_hooks`,
      headers: as(w.developer),
    });
    assert.equal(list.statusCode, 403);
  });

  test("the secret is stored sealed and listed nowhere; the delivery URL is shown", async () => {
    const list = await call({
      method: "GET",
      url: `/api/v4/projects/${w.project.id}/inbound_hooks`,
      headers: as(w.owner),
    });
    assert.equal(list.statusCode, 200);
    const github = list.json().find((h: { id: number }) => h.id === hooks.github);
    assert.deepEqual(Object.keys(github).sort(), [
      "clone_url",
      "created_at",
      "id",
      "project_id",
      "provider",
      "url",
    ]);
    assert.equal(github.url, `${SERVER_URL}/api/v4/hooks/inbound/${hooks.github}`);
    const stored = await w.store.hooks.byId(hooks.github);
    assert.ok(stored && !stored.secretCiphertext.includes(SECRETS.github));
  });

  test("invalid provider or clone URL answers 400 naming the field; missing fields name themselves", async () => {
    const bad = await createHook(w.maintainer, {
      provider: "bitbucket",
      secret: "x",
      clone_url: "--upload-pack=touch /tmp/x",
    });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(Object.keys(bad.json().message).sort(), ["clone_url", "provider"]);
    const missing = await createHook(w.maintainer, { provider: "gitea" });
    assert.deepEqual(missing.json(), { error: "secret is missing, clone_url is missing" });
  });

  test("clone URLs: network URLs yes, local ones only when allowed, options never; passwords masked", () => {
    for (const url of [
      "https://github.com/o/r.git",
      "ssh://git@host/o/r.git",
      "git@github.com:o/r.git",
      "git://h/r",
    ]) {
      assert.equal(isAcceptableCloneUrl(url, false), true, url);
    }
    for (const url of ["/srv/repo.git", "file:///srv/repo.git"]) {
      assert.equal(isAcceptableCloneUrl(url, false), false, url);
      assert.equal(isAcceptableCloneUrl(url, true), true, url);
    }
    for (const url of [
      "-oProxyCommand=x",
      "ext::sh -c touch% /tmp/x",
      "https://h/a b",
      "",
      "ftp://h/r",
    ]) {
      assert.equal(isAcceptableCloneUrl(url, true), false, url);
    }
    assert.equal(
      redactedCloneUrl("https://bot:tok3n@h.test/r.git"),
      "https://bot:*****@h.test/r.git",
    );
  });

  test("deleting a hook answers 204; its deliveries then answer 404", async () => {
    const created = await createHook(w.maintainer, {
      provider: "gitlab",
      secret: "temporary-secret",
      clone_url: source,
    });
    const id = created.json().id;
    const url = `/api/v4/projects/${w.project.id}/inbound_hooks/${id}`;
    assert.equal((await call({ method: "DELETE", url, headers: as(w.developer) })).statusCode, 403);
    assert.equal(
      (await call({ method: "DELETE", url, headers: as(w.maintainer) })).statusCode,
      204,
    );
    const delivery = await call({
      method: "POST",
      url: `/api/v4/hooks/inbound/${id}`,
      headers: {
        "x-gitlab-token": "temporary-secret",
        "x-gitlab-event": "Push Hook",
        "content-type": "application/json",
      },
      payload: { ref: "refs/heads/main", before: ZERO, after: mainSha },
    });
    assert.equal(delivery.statusCode, 404);
  });
});

describe("deliveries", () => {
  for (const provider of ["gitlab", "github", "gitea"] as const) {
    test(`${provider}: an authentic push fetches the ref into the hosted repository and starts a push pipeline`, async () => {
      const branch = `feature-${provider}`;
      const sha = await newBranch(branch);
      const answer = await deliver(provider, pushEvent[provider], {
        ref: `refs/heads/${branch}`,
        before: ZERO,
        after: sha,
      });
      assert.equal(answer.statusCode, 202, answer.body);
      assert.equal(hostedRef(`refs/heads/${branch}`), sha);
      assert.equal(starter.calls.length, 1);
      const { request, projectId } = starter.calls[0]!;
      assert.equal(projectId, w.project.id);
      assert.deepEqual(
        {
          ref: request.ref,
          source: request.source,
          sha: request.sha,
          beforeSha: request.beforeSha,
        },
        { ref: `refs/heads/${branch}`, source: "push", sha, beforeSha: ZERO },
      );
      const pipelineId = answer.json().pipeline_id;
      assert.equal((await w.store.pipelines.byId(pipelineId))?.sha, sha);
    });

    test(`${provider}: a wrong or missing signature answers 401, fetches nothing and starts nothing`, async () => {
      const branch = `unsigned-${provider}`;
      const sha = await newBranch(branch);
      for (const auth of ["wrong", "none"] as const) {
        const answer = await deliver(
          provider,
          pushEvent[provider],
          { ref: `refs/heads/${branch}`, before: ZERO, after: sha },
          auth,
        );
        assert.equal(answer.statusCode, 401, `${auth}`);
      }
      assert.equal(hostedRef(`refs/heads/${branch}`), undefined);
      assert.equal(starter.calls.length, 0);
    });
  }

  test("github: a signature over other bytes is refused (the raw body is what is signed)", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main", before: ZERO, after: mainSha });
    const respaced = JSON.stringify(JSON.parse(body), null, 2);
    const answer = await call({
      method: "POST",
      url: `/api/v4/hooks/inbound/${hooks.github}`,
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": `sha256=${sign(SECRETS.github, body)}`,
      },
      payload: respaced,
    });
    assert.equal(answer.statusCode, 401);
    assert.equal(starter.calls.length, 0);
  });

  test("github: a form-encoded delivery (payload=…) is verified over the form bytes and works", async () => {
    const sha = await newBranch("form-encoded");
    const form = new URLSearchParams({
      payload: JSON.stringify({ ref: "refs/heads/form-encoded", before: ZERO, after: sha }),
    }).toString();
    const answer = await call({
      method: "POST",
      url: `/api/v4/hooks/inbound/${hooks.github}`,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-github-event": "push",
        "x-hub-signature-256": `sha256=${sign(SECRETS.github, form)}`,
      },
      payload: form,
    });
    assert.equal(answer.statusCode, 202, answer.body);
    assert.equal(hostedRef("refs/heads/form-encoded"), sha);
  });

  test("github: ping answers 200 and starts nothing; an unsigned ping answers 401", async () => {
    const ping = await deliver("github", "ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    assert.equal(ping.statusCode, 200);
    assert.equal(ping.json().pipeline_id, undefined);
    assert.equal((await deliver("github", "ping", { zen: "x" }, "wrong")).statusCode, 401);
    assert.equal(starter.calls.length, 0);
  });

  test("gitlab: a tag push fetches the tag and starts a pipeline for refs/tags/…", async () => {
    git(source, "tag", "-a", "v1.0.0", "-m", "release", mainSha);
    const tagObject = git(source, "rev-parse", "refs/tags/v1.0.0");
    const answer = await deliver("gitlab", "Tag Push Hook", {
      ref: "refs/tags/v1.0.0",
      before: ZERO,
      after: tagObject,
    });
    assert.equal(answer.statusCode, 202, answer.body);
    assert.equal(hostedRef("refs/tags/v1.0.0"), tagObject);
    assert.equal(starter.calls[0]?.request.ref, "refs/tags/v1.0.0");
    assert.ok(typeof answer.json().pipeline_id === "number");
  });

  test("a push that deleted its ref answers 202 without a pipeline and fetches nothing", async () => {
    for (const provider of ["gitlab", "github", "gitea"] as const) {
      const answer = await deliver(provider, pushEvent[provider], {
        ref: "refs/heads/removed",
        before: mainSha,
        after: ZERO,
      });
      assert.equal(answer.statusCode, 202);
      assert.equal(answer.json().pipeline_id, null);
      assert.match(answer.json().message, /deleted/);
    }
    assert.equal(hostedRef("refs/heads/removed"), undefined);
    assert.equal(starter.calls.length, 0);
  });

  test("other events are accepted and ignored; malformed pushes answer 400", async () => {
    const mr = await deliver("gitlab", "Merge Request Hook", { object_kind: "merge_request" });
    assert.equal(mr.statusCode, 202);
    assert.equal(mr.json().pipeline_id, null);
    const badRef = await deliver("gitea", "push", {
      ref: "refs/heads/../../x",
      before: ZERO,
      after: mainSha,
    });
    assert.equal(badRef.statusCode, 400);
    const notRefs = await deliver("gitea", "push", {
      ref: "refs/remotes/x",
      before: ZERO,
      after: mainSha,
    });
    assert.equal(notRefs.statusCode, 400);
    assert.equal(starter.calls.length, 0);
  });

  test("a pipeline the starter does not create answers 202 with its reason", async () => {
    starter.error = "Pipeline filtered out by workflow rules.";
    const answer = await deliver("gitlab", "Push Hook", {
      ref: "refs/heads/main",
      before: ZERO,
      after: mainSha,
    });
    assert.equal(answer.statusCode, 202);
    assert.deepEqual(answer.json(), {
      pipeline_id: null,
      message: "Pipeline filtered out by workflow rules.",
    });
  });

  test("a clone URL that cannot be fetched answers 502 without naming the URL, and starts nothing", async () => {
    const missingRepo = join(dir, "does-not-exist");
    const created = await createHook(w.maintainer, {
      provider: "gitlab",
      secret: "fetch-fails-secret",
      clone_url: missingRepo,
    });
    const answer = await call({
      method: "POST",
      url: `/api/v4/hooks/inbound/${created.json().id}`,
      headers: {
        "x-gitlab-token": "fetch-fails-secret",
        "x-gitlab-event": "Push Hook",
        "content-type": "application/json",
      },
      payload: { ref: "refs/heads/main", before: ZERO, after: mainSha },
    });
    assert.equal(answer.statusCode, 502);
    assert.ok(!answer.body.includes(missingRepo));
    assert.equal(starter.calls.length, 0);
  });

  test("an unknown hook answers 404", async () => {
    const answer = await call({ method: "POST", url: "/api/v4/hooks/inbound/999999", payload: {} });
    assert.equal(answer.statusCode, 404);
  });

  test("no answer in this file ever contained a hook secret", () => {
    assert.ok(answers.length > 20);
    for (const secret of [...Object.values(SECRETS), "temporary-secret", "fetch-fails-secret"]) {
      assert.ok(!answers.some((text) => text.includes(secret)), secret);
    }
  });
});
