import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ACCESS_LEVELS, type ProjectRecord, type Store, type UserRecord } from "../store/types.js";
import { tokenDigest } from "../util/tokens.js";
import { type Authorize, storeAuthorizer } from "./git-auth.js";
import { openTestStore, type TestStore } from "../testing/stores.js";
import { jobWithToken } from "./testing-jobs.js";

const NOW = 1_700_000_000_000;

describe("storeAuthorizer", () => {
  let opened: TestStore;
  let store: Store;
  let authorize: Authorize;
  let privateProject: ProjectRecord;
  let internalProject: ProjectRecord;
  let publicProject: ProjectRecord;
  const users: Record<string, UserRecord> = {};

  const basic = (password: string, username = "oauth2") => ({ username, password });

  before(async () => {
    opened = await openTestStore();
    store = opened.store;
    authorize = storeAuthorizer(store, () => NOW);
    privateProject = await store.projects.create(
      {
        path: "g/private",
        name: "p",
        description: "",
        defaultBranch: "main",
        visibility: "private",
      },
      NOW,
    );
    internalProject = await store.projects.create(
      {
        path: "g/internal",
        name: "i",
        description: "",
        defaultBranch: "main",
        visibility: "internal",
      },
      NOW,
    );
    publicProject = await store.projects.create(
      { path: "g/public", name: "o", description: "", defaultBranch: "main", visibility: "public" },
      NOW,
    );
    const levels: Record<string, number> = {
      guest: 10,
      reporter: ACCESS_LEVELS.reporter,
      developer: ACCESS_LEVELS.developer,
      outsider: 0,
      admin: 0,
    };
    for (const [name, level] of Object.entries(levels)) {
      const user = await store.users.create(
        { username: name, name, email: `${name}@example.com`, admin: name === "admin" },
        NOW,
      );
      users[name] = user;
      if (level > 0) {
        await store.projects.setMember({
          projectId: privateProject.id,
          userId: user.id,
          accessLevel: level,
        });
      }
      await store.tokens.create(
        { userId: user.id, name, digest: tokenDigest(`pat-${name}`), scopes: ["api"] },
        NOW,
      );
    }
    const developer = users.developer!.id;
    await store.tokens.create(
      {
        userId: developer,
        name: "ro",
        digest: tokenDigest("pat-read"),
        scopes: ["read_repository"],
      },
      NOW,
    );
    await store.tokens.create(
      {
        userId: developer,
        name: "rw",
        digest: tokenDigest("pat-write"),
        scopes: ["write_repository"],
      },
      NOW,
    );
    await store.tokens.create(
      {
        userId: developer,
        name: "reg",
        digest: tokenDigest("pat-registry"),
        scopes: ["read_registry"],
      },
      NOW,
    );
    await store.tokens.create(
      {
        userId: developer,
        name: "old",
        digest: tokenDigest("pat-expired"),
        scopes: ["api"],
        expiresAt: NOW,
      },
      NOW,
    );
    const revoked = await store.tokens.create(
      { userId: developer, name: "gone", digest: tokenDigest("pat-revoked"), scopes: ["api"] },
      NOW,
    );
    await store.tokens.revoke(revoked.id);
    await jobWithToken(store, privateProject, "running", "job-running");
    await jobWithToken(store, privateProject, "success", "job-done");
    await jobWithToken(store, internalProject, "running", "job-other");
  });
  after(() => opened.dispose());

  it("lets a personal access token act with its user's role, any user name", async () => {
    assert.deepEqual(
      await authorize(privateProject, basic("pat-developer", "anything"), "receive-pack"),
      {
        user: users.developer,
        remoteUser: "developer",
      },
    );
    assert.deepEqual(await authorize(privateProject, basic("pat-reporter"), "upload-pack"), {
      user: users.reporter,
      remoteUser: "reporter",
    });
    assert.deepEqual(await authorize(privateProject, basic("pat-reporter"), "receive-pack"), {
      status: 403,
    });
    assert.deepEqual(await authorize(privateProject, basic("pat-guest"), "upload-pack"), {
      status: 403,
    });
    assert.deepEqual(await authorize(privateProject, basic("pat-outsider"), "upload-pack"), {
      status: 404,
    });
    assert.deepEqual(await authorize(privateProject, basic("pat-admin"), "receive-pack"), {
      user: users.admin,
      remoteUser: "admin",
    });
  });

  it("follows visibility: public for everyone to fetch, internal for any signed-in user", async () => {
    assert.deepEqual(await authorize(publicProject, undefined, "upload-pack"), {});
    assert.deepEqual(await authorize(publicProject, undefined, "receive-pack"), { status: 401 });
    assert.deepEqual(await authorize(publicProject, basic("pat-outsider"), "receive-pack"), {
      status: 403,
    });
    assert.deepEqual(await authorize(internalProject, undefined, "upload-pack"), { status: 401 });
    assert.deepEqual(await authorize(internalProject, basic("pat-outsider"), "upload-pack"), {
      user: users.outsider,
      remoteUser: "outsider",
    });
  });

  it("answers 401 for missing or unusable credentials, whatever the project", async () => {
    for (const credentials of [
      undefined,
      basic("wrong"),
      basic("pat-expired"),
      basic("pat-revoked"),
      basic("pat-registry"),
      basic("job-done", "gitlab-ci-token"),
    ]) {
      assert.deepEqual(await authorize(privateProject, credentials, "upload-pack"), {
        status: 401,
      });
      assert.deepEqual(await authorize(undefined, credentials, "upload-pack"), { status: 401 });
    }
    assert.deepEqual(await authorize(publicProject, basic("wrong"), "upload-pack"), {
      status: 401,
    });
  });

  it("answers 404 for a project that does not exist to a signed-in caller", async () => {
    assert.deepEqual(await authorize(undefined, basic("pat-admin"), "upload-pack"), {
      status: 404,
    });
    assert.deepEqual(
      await authorize(undefined, basic("job-running", "gitlab-ci-token"), "upload-pack"),
      {
        status: 404,
      },
    );
  });

  it("honours token scopes: read_repository fetches only, write_repository pushes", async () => {
    assert.equal(
      "user" in (await authorize(privateProject, basic("pat-read"), "upload-pack")),
      true,
    );
    assert.deepEqual(await authorize(privateProject, basic("pat-read"), "receive-pack"), {
      status: 403,
    });
    assert.equal(
      "user" in (await authorize(privateProject, basic("pat-write"), "receive-pack")),
      true,
    );
  });

  it("lets a running job's token fetch its own project only, never push", async () => {
    const job = (token: string) => basic(token, "gitlab-ci-token");
    assert.deepEqual(await authorize(privateProject, job("job-running"), "upload-pack"), {
      remoteUser: "gitlab-ci-token",
    });
    assert.deepEqual(await authorize(privateProject, job("job-running"), "receive-pack"), {
      status: 403,
    });
    assert.deepEqual(await authorize(internalProject, job("job-running"), "upload-pack"), {
      status: 404,
    });
    assert.deepEqual(await authorize(publicProject, job("job-running"), "upload-pack"), {
      remoteUser: "gitlab-ci-token",
    });
    assert.deepEqual(await authorize(privateProject, job("job-other"), "upload-pack"), {
      status: 404,
    });
    // A personal access token still works under the job token's user name, as on GitLab.
    assert.equal(
      "user" in (await authorize(privateProject, job("pat-developer"), "upload-pack")),
      true,
    );
  });
});
