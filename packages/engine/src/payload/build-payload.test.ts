import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { planYaml } from "../testing/plan-yaml.js";
import { buildJobPayload, type PayloadDependency } from "./build-payload.js";

async function payloadFor(
  yaml: string,
  jobName: string,
  extra: {
    dependencies?: PayloadDependency[];
    filesDigest?: (files: string[]) => string | undefined;
    branch?: string;
    tag?: string;
    variables?: Record<string, string>;
  } = {},
): Promise<JobPayload> {
  const spec = {
    pipelineId: 7,
    project: "acme/shop",
    sha: "a".repeat(40),
    ...(extra.tag ? { tag: extra.tag } : { branch: extra.branch ?? "main" }),
    ...(extra.variables ? { variables: extra.variables } : {}),
  };
  const { plan, event } = await planYaml(yaml, spec);
  const job = plan.jobs.find((j) => j.name === jobName);
  assert.ok(job, `job ${jobName} planned`);
  return buildJobPayload({
    event,
    job,
    jobId: 41,
    token: "job-token-0123456789",
    repoUrl: "/srv/repo",
    timeoutSeconds: 3600,
    dependencies: extra.dependencies ?? [],
    ...(extra.filesDigest ? { filesDigest: extra.filesDigest } : {}),
  });
}

const value = (payload: JobPayload, key: string) =>
  payload.variables.findLast((v) => v.key === key)?.value;

describe("job payload (runner protocol §3)", () => {
  it("joins before_script and script into the script step; after_script is its own step, always, allowed to fail", async () => {
    const payload = await payloadFor(
      `default:\n  before_script: [echo before]\nbuild:\n  script: [echo one, [echo two]]\n  after_script: echo after\n`,
      "build",
    );
    assert.deepEqual(payload.steps, [
      {
        name: "script",
        script: ["echo before", "echo one", "echo two"],
        timeout: 3600,
        when: "on_success",
        allow_failure: false,
      },
      {
        name: "after_script",
        script: ["echo after"],
        timeout: 3600,
        when: "always",
        allow_failure: true,
      },
    ]);
  });

  it("gives the job GitLab's predefined variables, its YAML variables expanded, and a masked job token", async () => {
    const payload = await payloadFor(
      `variables:\n  GREETING: hello $CI_COMMIT_REF_NAME\n  LITERAL:\n    value: keep $HOME\n    expand: false\nbuild:\n  stage: test\n  script: [env]\n`,
      "build",
    );
    assert.equal(value(payload, "CI_JOB_NAME"), "build");
    assert.equal(value(payload, "CI_JOB_STAGE"), "test");
    assert.equal(value(payload, "CI_JOB_ID"), "41");
    assert.equal(value(payload, "CI_PIPELINE_ID"), "7");
    assert.equal(value(payload, "CI_PROJECT_PATH"), "acme/shop");
    assert.equal(value(payload, "GREETING"), "hello main");
    const literal = payload.variables.find((v) => v.key === "LITERAL");
    assert.deepEqual(literal, { key: "LITERAL", value: "keep $HOME", public: true, raw: true });
    const token = payload.variables.find((v) => v.key === "CI_JOB_TOKEN");
    assert.deepEqual(token, {
      key: "CI_JOB_TOKEN",
      value: "job-token-0123456789",
      public: false,
      masked: true,
    });
  });

  it("keeps references to variables it does not know for the runner to expand", async () => {
    const payload = await payloadFor(
      `build:\n  variables:\n    OUT: $CI_PROJECT_DIR/out\n  script: [ls]\n`,
      "build",
    );
    assert.equal(value(payload, "OUT"), "$CI_PROJECT_DIR/out");
  });

  it("lets pipeline variables override YAML and dotenv variables from dependencies override YAML", async () => {
    const yaml = `variables:\n  A: yaml\n  B: yaml\nbuild:\n  script: [env]\n`;
    const payload = await payloadFor(yaml, "build", {
      variables: { A: "given" },
      dependencies: [{ id: 3, name: "prep", token: "t", dotenv: [{ key: "B", value: "dotenv" }] }],
    });
    assert.equal(value(payload, "A"), "given");
    assert.equal(value(payload, "B"), "dotenv");
    assert.deepEqual(payload.dependencies, [{ id: 3, name: "prep", token: "t" }]);
  });

  it("carries image and services with aliases, entrypoints and commands", async () => {
    const payload = await payloadFor(
      `variables:\n  TAG: "1.2"\nbuild:\n  image:\n    name: app:$TAG\n    entrypoint: [""]\n    pull_policy: if-not-present\n  services:\n    - redis:7\n    - name: web:1\n      alias: api,www\n      command: [serve, --port, "80"]\n  script: [exit 0]\n`,
      "build",
    );
    assert.deepEqual(payload.image, {
      name: "app:1.2",
      entrypoint: [""],
      pull_policy: ["if-not-present"],
    });
    assert.deepEqual(payload.services, [
      { name: "redis:7" },
      { name: "web:1", alias: "api,www", command: ["serve", "--port", "80"] },
    ]);
  });

  it("sends the archive and each report as separate artifacts; reports are always uploaded", async () => {
    const payload = await payloadFor(
      `build:\n  script: [exit 0]\n  artifacts:\n    name: bin-$CI_JOB_NAME\n    paths: [dist/]\n    exclude: ["dist/**/*.map"]\n    when: on_failure\n    expire_in: 1 week\n    reports:\n      junit: report.xml\n      dotenv: build.env\n`,
      "build",
    );
    assert.deepEqual(payload.artifacts, [
      {
        name: "bin-build",
        untracked: false,
        paths: ["dist/"],
        exclude: ["dist/**/*.map"],
        when: "on_failure",
        expire_in: "1 week",
        artifact_type: "archive",
        artifact_format: "zip",
      },
      {
        name: "junit.xml",
        paths: ["report.xml"],
        when: "always",
        expire_in: "1 week",
        artifact_type: "junit",
        artifact_format: "gzip",
      },
      {
        name: ".env",
        paths: ["build.env"],
        when: "always",
        expire_in: "1 week",
        artifact_type: "dotenv",
        artifact_format: "gzip",
      },
    ]);
  });

  it("composes cache keys as GitLab's server does: as written (the runner expands them), default, key:files with prefix or index, and the protection suffix", async () => {
    const payload = await payloadFor(
      `build:\n  script: [exit 0]\n  cache:\n    - key: deps-$CI_COMMIT_REF_SLUG\n      paths: [node_modules/]\n      policy: pull\n      fallback_keys: [deps-main]\n    - paths: [.cache/]\n    - key:\n        files: [package-lock.json]\n        prefix: npm\n      paths: [.npm/]\n      when: always\n    - key:\n        files: [missing.lock]\n      paths: [.m/]\n`,
      "build",
      {
        branch: "feature/x",
        filesDigest: (files) => (files.includes("package-lock.json") ? "d1g3st" : undefined),
      },
    );
    assert.deepEqual(payload.cache, [
      {
        key: "deps-$CI_COMMIT_REF_SLUG-non_protected",
        untracked: false,
        paths: ["node_modules/"],
        policy: "pull",
        when: "on_success",
        fallback_keys: ["deps-main-non_protected"],
      },
      {
        key: "default-non_protected",
        untracked: false,
        paths: [".cache/"],
        policy: "pull-push",
        when: "on_success",
      },
      {
        key: "npm-d1g3st-non_protected",
        untracked: false,
        paths: [".npm/"],
        policy: "pull-push",
        when: "always",
      },
      {
        key: "3-default-non_protected",
        untracked: false,
        paths: [".m/"],
        policy: "pull-push",
        when: "on_success",
      },
    ]);
  });

  it("describes the commit to check out, with GIT_DEPTH and refspecs for a tag", async () => {
    const payload = await payloadFor(
      `variables:\n  GIT_DEPTH: "3"\nrelease:\n  script: [exit 0]\n`,
      "release",
      { tag: "v1.0" },
    );
    assert.equal(payload.git_info.ref, "v1.0");
    assert.equal(payload.git_info.ref_type, "tag");
    assert.equal(payload.git_info.depth, 3);
    assert.equal(payload.git_info.sha, "a".repeat(40));
    assert.deepEqual(payload.git_info.refspecs, ["+refs/tags/v1.0:refs/tags/v1.0"]);
    assert.equal(payload.git_info.repo_url, "/srv/repo");
  });

  it("expands the environment name and gives CI_ENVIRONMENT_* variables", async () => {
    const payload = await payloadFor(
      `deploy:\n  script: [exit 0]\n  environment:\n    name: review/$CI_COMMIT_REF_SLUG\n    url: https://$CI_ENVIRONMENT_SLUG.example.test\n`,
      "deploy",
      { branch: "feature/x" },
    );
    assert.equal(value(payload, "CI_ENVIRONMENT_NAME"), "review/feature-x");
    assert.match(value(payload, "CI_ENVIRONMENT_SLUG") ?? "", /^review-feat/);
  });
});
