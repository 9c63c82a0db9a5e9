import assert from "node:assert/strict";
import { test } from "node:test";
import { planText, whens } from "../testing/plan-text.js";
import { NO_JOBS, WORKFLOW_FILTERED } from "./plan.js";

// Each case names the docs.gitlab.com page whose documented behaviour it pins.

test("ci/yaml/#stages: default stages, a job without stage runs in test, only used stages listed", async () => {
  const plan = await planText("a:\n  script: x\nb:\n  stage: build\n  script: x\n");
  assert.equal(plan.created, true);
  assert.deepEqual(plan.stages, ["build", "test"]);
  assert.deepEqual(
    plan.jobs.map((j) => [j.name, j.stage]),
    [
      ["b", "build"],
      ["a", "test"],
    ],
  );
  assert.equal(plan.jobs[0]?.needs, null);
});

test("ci/jobs/job_rules: first matching rule wins; no match excludes the job", async () => {
  const yaml = `
job:
  script: x
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      when: manual
    - if: $CI_COMMIT_TAG
    - when: never
other:
  script: x
  rules:
    - if: $CI_COMMIT_TAG
`;
  assert.deepEqual(whens(await planText(yaml, { branch: "main" })), { job: "manual" });
  assert.deepEqual(whens(await planText(yaml, { tag: "v1" })), {
    job: "on_success",
    other: "on_success",
  });
  const none = await planText(yaml, { branch: "dev" });
  assert.equal(none.created, false);
  assert.equal(none.reason, NO_JOBS);
});

test("ci/yaml/#allow_failure: manual jobs allow failure by default, but not when manual comes from rules", async () => {
  const yaml = `
plain-manual:
  script: x
  when: manual
rules-manual:
  script: x
  rules:
    - when: manual
rules-manual-allowed:
  script: x
  rules:
    - when: manual
      allow_failure: true
`;
  const plan = await planText(yaml);
  assert.deepEqual(
    plan.jobs.map((j) => [j.name, j.allowFailure]),
    [
      ["plain-manual", true],
      ["rules-manual", false],
      ["rules-manual-allowed", true],
    ],
  );
});

test("ci/yaml/deprecated_keywords: without rules or only, jobs run for branches and tags but not merge requests", async () => {
  const yaml = "job:\n  script: x\nmr:\n  script: x\n  only: [merge_requests]\n";
  assert.deepEqual(whens(await planText(yaml, { branch: "feature" })), { job: "on_success" });
  assert.deepEqual(
    whens(await planText(yaml, { source: "merge_request_event", branch: "feature" })),
    {
      mr: "on_success",
    },
  );
});

test("only/except: refs regex, keywords and except winning", async () => {
  const yaml = `
release:
  script: x
  only: [/^release-.*$/]
not-tags:
  script: x
  except: [tags]
scheduled:
  script: x
  only: [schedules]
`;
  assert.deepEqual(whens(await planText(yaml, { branch: "release-1" })), {
    release: "on_success",
    "not-tags": "on_success",
  });
  assert.deepEqual(whens(await planText(yaml, { tag: "release-1" })), { release: "on_success" });
  assert.deepEqual(Object.keys(whens(await planText(yaml, { source: "schedule" }))), [
    "not-tags",
    "scheduled",
  ]);
});

test("ci/yaml/#needs: a need on a parallel job lists every instance; optional needs on absent jobs drop", async () => {
  const yaml = `
build:
  stage: build
  script: x
  parallel: 2
docs:
  stage: build
  script: x
  rules: [{ if: $NEVER }]
test:
  script: x
  needs: [build, { job: docs, optional: true }]
`;
  const plan = await planText(yaml);
  assert.deepEqual(plan.jobs.find((j) => j.name === "test")?.needs, ["build 1/2", "build 2/2"]);
});

test("a need on a job the rules left out stops the pipeline with GitLab's message", async () => {
  const yaml =
    "build:\n  stage: build\n  script: x\n  rules: [{ if: $NEVER }]\ntest:\n  script: x\n  needs: [build]\n";
  const plan = await planText(yaml);
  assert.equal(plan.created, false);
  assert.match(
    plan.errors[0]?.message ?? "",
    /^'test' job needs 'build' job, but 'build' does not exist in the pipeline\./,
  );
});

test("ci/yaml/workflow: no matching workflow rule means no pipeline; rule variables reach jobs", async () => {
  const yaml = `
workflow:
  rules:
    - if: $CI_COMMIT_TAG
      variables: { DEPLOY: "yes" }
    - if: $CI_COMMIT_BRANCH == "main"
variables:
  DEPLOY: "no"
job:
  script: x
`;
  const tag = await planText(yaml, { tag: "v1" });
  assert.equal(tag.jobs[0]?.variables.DEPLOY, "yes");
  assert.equal((await planText(yaml, { branch: "main" })).jobs[0]?.variables.DEPLOY, "no");
  const other = await planText(yaml, { branch: "dev" });
  assert.equal(other.created, false);
  assert.equal(other.reason, WORKFLOW_FILTERED);
});

test("ci/yaml/#start_in: delayed jobs carry start_in from the job or the rule", async () => {
  const yaml = `
a:
  script: x
  when: delayed
  start_in: 30 minutes
b:
  script: x
  rules:
    - when: delayed
      start_in: 1 day
`;
  const plan = await planText(yaml);
  assert.deepEqual(
    plan.jobs.map((j) => [j.name, j.when, j.startIn]),
    [
      ["a", "delayed", "30 minutes"],
      ["b", "delayed", "1 day"],
    ],
  );
});

test("ci/yaml/#inherit and #default: defaults and global variables reach jobs unless inherit says no", async () => {
  const yaml = `
default:
  image: ruby
variables:
  A: "1"
  B: "2"
all:
  script: x
some:
  script: x
  inherit:
    variables: [B]
    default: false
`;
  const plan = await planText(yaml);
  const all = plan.jobs.find((j) => j.name === "all");
  const some = plan.jobs.find((j) => j.name === "some");
  assert.deepEqual(all?.variables, { A: "1", B: "2" });
  assert.equal(all?.definition.image, "ruby");
  assert.deepEqual(some?.variables, { B: "2" });
  assert.equal(some?.definition.image, undefined);
});

test("ci/yaml/#parallelmatrix: matrix values are variables the rules can test", async () => {
  const yaml = `
deploy:
  script: x
  parallel:
    matrix:
      - PROVIDER: [aws, gcp]
  rules:
    - if: $PROVIDER == "aws"
`;
  const plan = await planText(yaml);
  assert.deepEqual(
    plan.jobs.map((j) => [j.name, j.variables.PROVIDER]),
    [["deploy: [aws]", "aws"]],
  );
});

test("ci/yaml/#ruleschanges and #rulesexists: changes needs a matching changed path, exists a matching file", async () => {
  const yaml = `
docs:
  script: x
  rules:
    - changes: ["docs/**/*"]
docker:
  script: x
  rules:
    - exists: [Dockerfile]
`;
  const changed = await planText(
    yaml,
    { changed: ["docs/guide/a.md"] },
    { local: { Dockerfile: "FROM x" } },
  );
  assert.deepEqual(Object.keys(whens(changed)), ["docs", "docker"]);
  const unrelated = await planText(yaml, { changed: ["src/a.ts"] });
  assert.equal(unrelated.created, false);
  // Unknown changes (a new branch, a tag): changes holds.
  assert.deepEqual(Object.keys(whens(await planText(yaml))), ["docs"]);
});

test("rules:variables override job variables; job variables override globals", async () => {
  const yaml = `
variables: { LEVEL: global, KEEP: global }
job:
  script: x
  variables: { LEVEL: job }
  rules:
    - if: $LEVEL == "job"
      variables: { LEVEL: rule }
`;
  const plan = await planText(yaml);
  assert.deepEqual(plan.jobs[0]?.variables, { LEVEL: "rule", KEEP: "global" });
});

test("jobs with the same rules (an anchor, a parallel job) are each decided by their own variables", async () => {
  const yaml = `
.rules: &rules
  - if: $TARGET == "eu"
    when: manual
  - if: $CI_NODE_INDEX == "2"
a:
  script: x
  variables: { TARGET: eu }
  rules: *rules
b:
  script: x
  variables: { TARGET: us }
  rules: *rules
c:
  script: x
  variables: { TARGET: eu }
  rules: *rules
d:
  script: x
  parallel: 3
  rules: *rules
`;
  assert.deepEqual(whens(await planText(yaml)), {
    a: "manual",
    c: "manual",
    "d 2/3": "on_success",
  });
});

test("a job whose own variables close a reference cycle with a global one stops the pipeline", async () => {
  const yaml = `
variables: { A: "$B-a" }
fine:
  script: x
  variables: { B: b }
looping:
  script: x
  variables: { B: "$A" }
`;
  const plan = await planText(yaml);
  assert.equal(plan.created, false);
  assert.match(plan.errors[0]?.message ?? "", /looping.*circular variable reference detected/);
  assert.equal(plan.errors.length, 1);
});
