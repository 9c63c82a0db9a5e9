import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { EventEmitter, once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import multipart from "@fastify/multipart";
import Fastify, { type FastifyInstance } from "fastify";
import { ZERO_SHA } from "../pipelines/trigger.js";
import { ACCESS_LEVELS, type ProjectRecord, type Store, type UserRecord } from "../store/types.js";
import { tokenDigest } from "../util/tokens.js";
import { git } from "./git-command.js";
import { type GitHosting, openGitHosting, type RefUpdate } from "./index.js";
import { GitClient } from "./testing-git.js";
import { openTestStore, type TestStore } from "../testing/stores.js";
import { jobWithToken } from "./testing-jobs.js";

interface Push {
  project: string;
  updates: RefUpdate[];
  user: string | undefined;
}

describe("git over HTTP", () => {
  let opened: TestStore;
  let store: Store;
  let hosting: GitHosting;
  let app: FastifyInstance;
  let client: GitClient;
  let dataDir: string;
  let base: string;
  let project: ProjectRecord;
  let openProject: ProjectRecord;
  const users: Record<string, UserRecord> = {};
  const received: Push[] = [];
  const logs: string[] = [];
  const events = new EventEmitter();
  let failNextPush = false;

  /** Waits (without a clock) until `check` holds; onPush and log calls re-check it. */
  const until = async (check: () => boolean) => {
    while (!check()) await once(events, "change");
  };
  const nextPush = async (): Promise<Push> => {
    await until(() => received.length > 0);
    return received.shift()!;
  };

  const url = (credentials: string | undefined, path = "group/app.git") =>
    `http://${credentials ? `${credentials}@` : ""}${base.slice("http://".length)}/${path}`;
  const developer = () => url("oauth2:pat-developer");
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/${path}`, { headers });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "conveyor-git-http-"));
    client = await GitClient.open();
    opened = await openTestStore();
    store = opened.store;
    hosting = await openGitHosting({
      root: join(dataDir, "repositories"),
      store,
      clock: () => Date.now(),
      onPush: async (pushed, updates, user) => {
        if (failNextPush) {
          failNextPush = false;
          throw new Error("pipeline creation exploded");
        }
        received.push({ project: pushed.path, updates, user: user?.username });
        events.emit("change");
      },
      log: (line) => {
        logs.push(line);
        events.emit("change");
      },
    });
    project = await store.projects.create(
      {
        path: "group/app",
        name: "App",
        description: "",
        defaultBranch: "main",
        visibility: "private",
      },
      Date.now(),
    );
    openProject = await store.projects.create(
      {
        path: "group/sub/open",
        name: "Open",
        description: "",
        defaultBranch: "main",
        visibility: "public",
      },
      Date.now(),
    );
    await hosting.create(project);
    await hosting.create(openProject);
    for (const [name, level] of [
      ["developer", ACCESS_LEVELS.developer],
      ["reporter", ACCESS_LEVELS.reporter],
      ["outsider", 0],
    ] as const) {
      const user = await store.users.create(
        { username: name, name, email: `${name}@example.com`, admin: false },
        Date.now(),
      );
      users[name] = user;
      if (level > 0) {
        await store.projects.setMember({
          projectId: project.id,
          userId: user.id,
          accessLevel: level,
        });
        await store.projects.setMember({
          projectId: openProject.id,
          userId: user.id,
          accessLevel: level,
        });
      }
      await store.tokens.create(
        { userId: user.id, name, digest: tokenDigest(`pat-${name}`), scopes: ["api"] },
        Date.now(),
      );
    }
    await jobWithToken(store, project, "running", "job-running");
    await jobWithToken(store, project, "success", "job-done");

    // The application around git hosting: a small body limit, a catch-all buffering body
    // parser and a catch-all GET route, as a real app may have.
    app = Fastify({ bodyLimit: 1024 * 1024 });
    await app.register(multipart);
    app.removeContentTypeParser("text/plain");
    app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) =>
      done(null, body),
    );
    app.post("/echo", async (request) => ({ bytes: (request.body as Buffer).length }));
    app.post("/json", async (request) => request.body);
    app.get("/*", async () => "web page");
    hosting.mount(app);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === "object");
    base = `http://127.0.0.1:${address.port}`;
  });

  after(async () => {
    await app.close();
    await hosting.close();
    await opened.dispose();
    await client.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  let work: string;
  let firstSha: string;
  let secondSha: string;

  it("clones the empty repository, its HEAD naming the project's default branch", async () => {
    const result = await client.run(client.home, ["clone", developer(), "empty"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /empty repository/);
    assert.equal(
      await client.ok(join(client.home, "empty"), ["symbolic-ref", "HEAD"]),
      "refs/heads/main",
    );
  });

  it("reports a first push of a branch with the zero SHA as before", async () => {
    work = await client.workTree("work");
    firstSha = await client.commit(work, {
      ".gitlab-ci.yml": "test:\n  script: [true]\n",
      "a.txt": "a\n",
    });
    await client.ok(work, ["remote", "add", "origin", developer()]);
    await client.ok(work, ["push", "--quiet", "origin", "main"]);
    assert.deepEqual(await nextPush(), {
      project: "group/app",
      updates: [{ ref: { kind: "branch", name: "main" }, before: ZERO_SHA, after: firstSha }],
      user: "developer",
    });
    assert.equal(await hosting.reader(project).readFile(firstSha, "a.txt"), "a\n");
  });

  it("reports a second push with the previous SHA as before, and the changed paths", async () => {
    secondSha = await client.commit(work, { "b/c.txt": "c\n", "a.txt": "a2\n" });
    await client.ok(work, ["push", "--quiet", "origin", "main"]);
    const push = await nextPush();
    assert.deepEqual(push.updates, [
      { ref: { kind: "branch", name: "main" }, before: firstSha, after: secondSha },
    ]);
    const changed = await hosting.reader(project).changedPaths(firstSha, secondSha);
    assert.deepEqual(changed?.sort(), ["a.txt", "b/c.txt"]);
  });

  it("reports a pushed annotated tag at its commit", async () => {
    await client.ok(work, ["tag", "-a", "-m", "first release", "v1.0", firstSha]);
    await client.ok(work, ["push", "--quiet", "origin", "v1.0"]);
    assert.deepEqual((await nextPush()).updates, [
      { ref: { kind: "tag", name: "v1.0" }, before: ZERO_SHA, after: firstSha },
    ]);
    assert.deepEqual(await hosting.reader(project).resolveRef("v1.0"), {
      ref: { kind: "tag", name: "v1.0" },
      sha: firstSha,
    });
  });

  it("reports nothing for a deleted branch", async () => {
    await client.ok(work, ["push", "--quiet", "origin", `${firstSha}:refs/heads/doomed`]);
    assert.equal((await nextPush()).updates[0]?.ref.name, "doomed");
    await client.ok(work, ["push", "--quiet", "origin", ":doomed"]);
    // The next report must be the next push: the deletion reported nothing in between.
    await client.ok(work, ["push", "--quiet", "origin", `${secondSha}:refs/heads/after-delete`]);
    assert.deepEqual((await nextPush()).updates, [
      { ref: { kind: "branch", name: "after-delete" }, before: ZERO_SHA, after: secondSha },
    ]);
    assert.equal(received.length, 0);
    assert.equal(await hosting.reader(project).resolveRef("doomed"), undefined);
  });

  it("reports each of two concurrent pushes to one repository exactly once", async () => {
    const other = await client.workTree("other");
    await client.ok(other, ["pull", "--quiet", developer(), "main"]);
    const left = await client.commit(work, { "left.txt": "l\n" });
    const right = await client.commit(other, { "right.txt": "r\n" });
    await Promise.all([
      client.ok(work, ["push", "--quiet", "origin", "HEAD:refs/heads/left"]),
      client.ok(other, ["push", "--quiet", developer(), "HEAD:refs/heads/right"]),
    ]);
    const pushes = [await nextPush(), await nextPush()];
    const updates = pushes.map((push) => push.updates).sort((a, b) => a.length - b.length);
    assert.equal(updates[0]?.length, 1);
    assert.equal(updates[1]?.length, 1);
    assert.deepEqual(
      pushes.flatMap((push) => push.updates).sort((a, b) => (a.ref.name < b.ref.name ? -1 : 1)),
      [
        { ref: { kind: "branch", name: "left" }, before: ZERO_SHA, after: left },
        { ref: { kind: "branch", name: "right" }, before: ZERO_SHA, after: right },
      ],
    );
  });

  it("fetches with a developer's token, also at the URL without .git", async () => {
    const result = await client.run(client.home, [
      "clone",
      "--quiet",
      url("oauth2:pat-developer", "group/app"),
      "plain",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readFile(join(client.home, "plain", "b/c.txt"), "utf8"), "c\n");
  });

  it("fetches with a running job's token, and refuses a finished job's token", async () => {
    const ok = await client.run(client.home, [
      "clone",
      "--quiet",
      url("gitlab-ci-token:job-running"),
      "by-job",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await client.ok(join(client.home, "by-job"), ["rev-parse", "HEAD"]), secondSha);
    const refused = await client.run(client.home, [
      "clone",
      url("gitlab-ci-token:job-done"),
      "by-done-job",
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Authentication failed/);
    const response = await get("group/app.git/info/refs?service=git-upload-pack", {
      authorization: basic("gitlab-ci-token", "job-done"),
    });
    assert.equal(response.status, 401);
  });

  it("refuses pushes from a reporter and from a job token with 403", async () => {
    for (const credentials of ["oauth2:pat-reporter", "gitlab-ci-token:job-running"]) {
      const [user = "", password = ""] = credentials.split(":");
      const response = await get("group/app.git/info/refs?service=git-receive-pack", {
        authorization: basic(user, password),
      });
      assert.equal(response.status, 403, credentials);
      const pushed = await client.run(work, ["push", url(credentials), "HEAD:refs/heads/refused"]);
      assert.notEqual(pushed.code, 0);
      assert.match(pushed.stderr, /403/);
    }
    assert.equal(await hosting.reader(project).resolveRef("refused"), undefined);
  });

  it("asks for credentials with 401 and a Basic challenge, hiding whether a project exists", async () => {
    for (const path of ["group/app.git", "group/nothing.git"]) {
      const response = await get(`${path}/info/refs?service=git-upload-pack`);
      assert.equal(response.status, 401, path);
      assert.equal(response.headers.get("www-authenticate"), 'Basic realm="GitLab"');
    }
    const wrong = await get("group/app.git/info/refs?service=git-upload-pack", {
      authorization: basic("oauth2", "not-a-token"),
    });
    assert.equal(wrong.status, 401);
    const cloned = await client.run(client.home, ["clone", url(undefined), "anonymous"]);
    assert.notEqual(cloned.code, 0);
  });

  it("answers 404 to a signed-in user for a project they cannot see or that does not exist", async () => {
    for (const path of ["group/app.git", "group/nothing.git"]) {
      const response = await get(`${path}/info/refs?service=git-upload-pack`, {
        authorization: basic("oauth2", "pat-outsider"),
      });
      assert.equal(response.status, 404, path);
    }
  });

  it("serves a public project to anonymous fetches, in a nested group, but not pushes", async () => {
    const seed = await client.workTree("open-seed");
    const sha = await client.commit(seed, { "README.md": "open\n" });
    await client.ok(seed, [
      "push",
      "--quiet",
      url("oauth2:pat-developer", "group/sub/open.git"),
      "main",
    ]);
    assert.equal((await nextPush()).project, "group/sub/open");
    const cloned = await client.run(client.home, [
      "clone",
      "--quiet",
      url(undefined, "group/sub/open.git"),
      "open",
    ]);
    assert.equal(cloned.code, 0, cloned.stderr);
    assert.equal(await client.ok(join(client.home, "open"), ["rev-parse", "HEAD"]), sha);
    const push = await get("group/sub/open.git/info/refs?service=git-receive-pack");
    assert.equal(push.status, 401);
  });

  it("speaks protocol v2 when asked through Git-Protocol, and v0 otherwise", async () => {
    const v2 = await get("group/app.git/info/refs?service=git-upload-pack", {
      authorization: basic("oauth2", "pat-developer"),
      "git-protocol": "version=2",
    });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get("content-type"), "application/x-git-upload-pack-advertisement");
    assert.match(await v2.text(), /version 2\n/);
    const v0 = await get("group/app.git/info/refs?service=git-upload-pack", {
      authorization: basic("oauth2", "pat-developer"),
    });
    const v0Text = await v0.text();
    assert.match(v0Text, /^001e# service=git-upload-pack\n/);
    assert.match(v0Text, new RegExp(`${secondSha} refs/heads/main`));

    // A commit no ref points at any more (its branch was forced back), as a runner may ask
    // for its job's commit after a force push.
    const dropped = await client.commit(work, { "dropped.txt": "d\n" });
    await client.ok(work, ["push", "--quiet", "origin", "HEAD:refs/heads/scratch"]);
    await client.ok(work, [
      "push",
      "--quiet",
      "--force",
      "origin",
      `${secondSha}:refs/heads/scratch`,
    ]);
    await client.ok(work, ["reset", "--quiet", "--hard", secondSha]);
    assert.equal((await nextPush()).updates[0]?.after, dropped);
    assert.equal((await nextPush()).updates[0]?.before, dropped);

    for (const version of ["2", "0"]) {
      const dir = `fetch-v${version}`;
      await client.ok(client.home, ["init", "--quiet", dir]);
      const fetched = await client.run(join(client.home, dir), [
        "-c",
        `protocol.version=${version}`,
        "fetch",
        "--quiet",
        developer(),
        "main",
      ]);
      assert.equal(fetched.code, 0, fetched.stderr);
      assert.equal(await client.ok(join(client.home, dir), ["rev-parse", "FETCH_HEAD"]), secondSha);
      await client.ok(join(client.home, dir), [
        "-c",
        `protocol.version=${version}`,
        "fetch",
        "--quiet",
        developer(),
        dropped,
      ]);
      assert.equal(await client.ok(join(client.home, dir), ["rev-parse", "FETCH_HEAD"]), dropped);
    }
  });

  it("inflates a gzip-encoded request body", async () => {
    // A protocol v2 ls-refs command in pkt-lines (gitprotocol-v2(5)), gzip-compressed.
    const body = gzipSync(Buffer.from("0014command=ls-refs\n0001000bunborn\n0000"));
    const lsRefs = (encoding: Record<string, string>) =>
      fetch(`${base}/group/app.git/git-upload-pack`, {
        method: "POST",
        headers: {
          authorization: basic("oauth2", "pat-developer"),
          "content-type": "application/x-git-upload-pack-request",
          "git-protocol": "version=2",
          ...encoding,
        },
        body,
      });
    const response = await lsRefs({ "content-encoding": "gzip" });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, new RegExp(`${secondSha} refs/heads/main\n`));
    assert.match(text, /refs\/tags\/v1\.0/);
    // The same bytes without the header are not a request git understands.
    const undeclared = await (await lsRefs({})).text();
    assert.doesNotMatch(undeclared, /refs\/heads\/main/);
  });

  it("streams a push larger than the application's body limit (24 MB)", async () => {
    const big = randomBytes(24 * 1024 * 1024);
    const sha = await client.commit(work, { "big.bin": big }, "big");
    const pushed = await client.run(work, ["push", "--quiet", "origin", "HEAD:refs/heads/big"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.deepEqual((await nextPush()).updates, [
      { ref: { kind: "branch", name: "big" }, before: ZERO_SHA, after: sha },
    ]);
    const gitDir = join(dataDir, "repositories", `${project.id}.git`);
    const size = (await git(gitDir, ["cat-file", "-s", `${sha}:big.bin`])).toString().trim();
    assert.equal(Number(size), big.length);
    // …while the application's own routes still parse (and limit) their bodies.
    const echo = await fetch(`${base}/echo`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "12345",
    });
    assert.deepEqual(await echo.json(), { bytes: 5 });
    const tooBig = await fetch(`${base}/echo`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.alloc(2 * 1024 * 1024),
    });
    assert.equal(tooBig.status, 413);
    const json = await fetch(`${base}/json`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: 1 }),
    });
    assert.deepEqual(await json.json(), { a: 1 });
    assert.equal(await (await get("some/page")).text(), "web page");
  });

  it("logs a failing onPush without failing the push", async () => {
    failNextPush = true;
    const sha = await client.commit(work, { "after-failure.txt": "x\n" });
    const pushed = await client.run(work, ["push", "--quiet", "origin", "HEAD:refs/heads/unlucky"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    await until(() => logs.some((line) => line.includes("pipeline creation exploded")));
    assert.equal((await hosting.reader(project).resolveRef("unlucky"))?.sha, sha);
    assert.ok(logs.every((line) => !line.includes("pat-") && !line.includes("job-running")));
  });
});
