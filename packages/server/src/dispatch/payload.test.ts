/**
 * Which CI/CD variables a job's payload carries (docs: ci/environments, "Limit the environment
 * scope of a CI/CD variable"; ci/variables, "Protect a CI/CD variable"): `*` reaches every job,
 * a scope reaches the jobs deploying to a matching environment (exact beats wildcard beats `*`),
 * protected variables reach protected refs only.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { registerRunner, requestJob, startTestServer, type TestServer } from "../testing/server.js";
import { scopeMatches } from "./payload.js";

test("environment scopes match as GitLab's wildcards do", () => {
  assert.equal(scopeMatches("*", undefined), true);
  assert.equal(scopeMatches("production", undefined), false);
  assert.equal(scopeMatches("production", "production"), true);
  assert.equal(scopeMatches("review/*", "review/feature-1"), true);
  assert.equal(scopeMatches("review/*", "staging"), false);
  assert.equal(scopeMatches("*.example", "a.example"), true);
  assert.equal(scopeMatches("*.example", "aXexample"), false);
});

describe("variables in payloads", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test("scoped and protected variables reach only the jobs they are for", async () => {
    const project = await server.createProject("scoped");
    const put = (key: string, value: string, extra: Record<string, unknown> = {}) =>
      server.api("POST", `/projects/${project.id}/variables`, { key, value, ...extra });
    assert.equal((await put("TARGET", "any")).status, 201);
    assert.equal((await put("TARGET", "review", { environment_scope: "review/*" })).status, 201);
    assert.equal((await put("TARGET", "prod", { environment_scope: "production" })).status, 201);
    assert.equal((await put("ONLY_PROTECTED", "yes", { protected: true })).status, 201);
    const token = await registerRunner(server);
    const ci = [
      "plain:\n  script: [':']",
      "review:\n  script: [':']\n  environment: review/$CI_COMMIT_REF_SLUG",
      "deploy:\n  script: [':']\n  environment: { name: production }",
      "",
    ].join("\n");
    const { dir } = await server.pushNew(project, { ".gitlab-ci.yml": ci });
    await server.pushMore(dir, { "x.txt": "x" }, "feature");

    const seen = new Map<string, Record<string, string>>();
    await server.waitFor("six jobs", async () => {
      const job = (await requestJob(server, token)).payload;
      if (job) {
        const variables = Object.fromEntries(job.variables.map((v) => [v.key, v.value]));
        seen.set(`${job.git_info.ref}:${job.job_info.name}`, variables);
        await fetch(`${server.url}/api/v4/jobs/${job.id}`, {
          method: "PUT",
          headers: { "Content-Type": "application/json", "JOB-TOKEN": job.token },
          body: JSON.stringify({ state: "success" }),
        });
      }
      return seen.size === 6 ? true : undefined;
    });
    assert.equal(seen.get("main:plain")?.TARGET, "any");
    assert.equal(seen.get("main:review")?.TARGET, "review");
    assert.equal(seen.get("main:deploy")?.TARGET, "prod");
    // main is the default branch, protected; feature is not.
    assert.equal(seen.get("main:plain")?.ONLY_PROTECTED, "yes");
    assert.equal(seen.get("feature:plain")?.ONLY_PROTECTED, undefined);
    assert.equal(seen.get("feature:review")?.CI_ENVIRONMENT_NAME, "review/feature");
    assert.equal(seen.get("feature:review")?.TARGET, "review");
  });
});
