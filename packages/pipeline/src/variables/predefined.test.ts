import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PipelineEvent } from "../event.js";
import { byteLength } from "../ruby/strings.js";
import { jobPredefinedVariables, predefinedVariables } from "./predefined.js";
import type { Variable } from "./types.js";

const SHA = "1ecfd275763eff1d6b4844ea3168962458c9f27a";
const BEFORE = "b0d2f0d1e3c4a5b6c7d8e9f00112233445566778";

function branchPush(): PipelineEvent {
  return {
    source: "push",
    ref: { kind: "branch", name: "feature/Login-Page", protected: false },
    commit: {
      sha: SHA,
      beforeSha: BEFORE,
      message: "Add login page\n\nWith a form.\n",
      authorName: "Ada Lovelace",
      authorEmail: "ada@example.test",
      timestamp: "2022-01-31T16:47:55Z",
    },
    project: {
      id: 34,
      path: "gitlab-org/sub/My.Project",
      serverUrl: "https://ci.example.test:8443/",
      defaultBranch: "main",
      visibility: "internal",
    },
    pipelineId: 1000,
    pipelineIid: 10,
    createdAt: "2022-01-31T16:50:00Z",
    user: { id: 7, login: "ada", name: "Ada Lovelace", email: "ada@example.test" },
  };
}

function record(variables: Variable[]): Record<string, string> {
  return Object.fromEntries(variables.map((v) => [v.key, v.value]));
}

describe("predefinedVariables: branch push", () => {
  const vars = record(predefinedVariables(branchPush()));

  it("sets the commit and ref variables", () => {
    assert.equal(vars.CI, "true");
    assert.equal(vars.GITLAB_CI, "true");
    assert.equal(vars.CI_COMMIT_SHA, SHA);
    assert.equal(vars.CI_COMMIT_SHORT_SHA, "1ecfd275");
    assert.equal(vars.CI_COMMIT_BEFORE_SHA, BEFORE);
    assert.equal(vars.CI_COMMIT_REF_NAME, "feature/Login-Page");
    assert.equal(vars.CI_COMMIT_REF_SLUG, "feature-login-page");
    assert.equal(vars.CI_COMMIT_BRANCH, "feature/Login-Page");
    assert.equal(vars.CI_COMMIT_REF_PROTECTED, "false");
    assert.equal(vars.CI_COMMIT_MESSAGE, "Add login page\n\nWith a form.\n");
    assert.equal(vars.CI_COMMIT_MESSAGE_IS_TRUNCATED, "false");
    assert.equal(vars.CI_COMMIT_TITLE, "Add login page");
    assert.equal(vars.CI_COMMIT_DESCRIPTION, "\nWith a form.");
    assert.equal(vars.CI_COMMIT_AUTHOR, "Ada Lovelace <ada@example.test>");
    assert.equal(vars.CI_COMMIT_TIMESTAMP, "2022-01-31T16:47:55Z");
  });

  it("leaves tag and merge request variables absent, not empty", () => {
    assert.equal("CI_COMMIT_TAG" in vars, false);
    assert.equal("CI_COMMIT_TAG_MESSAGE" in vars, false);
    assert.equal("CI_MERGE_REQUEST_IID" in vars, false);
    assert.equal("CI_OPEN_MERGE_REQUESTS" in vars, false);
  });

  it("sets the project and server variables", () => {
    assert.equal(vars.CI_PROJECT_ID, "34");
    assert.equal(vars.CI_PROJECT_NAME, "My.Project");
    assert.equal(vars.CI_PROJECT_TITLE, "My.Project");
    assert.equal(vars.CI_PROJECT_PATH, "gitlab-org/sub/My.Project");
    assert.equal(vars.CI_PROJECT_PATH_SLUG, "gitlab-org-sub-my-project");
    assert.equal(vars.CI_PROJECT_NAMESPACE, "gitlab-org/sub");
    assert.equal(vars.CI_PROJECT_ROOT_NAMESPACE, "gitlab-org");
    assert.equal(vars.CI_PROJECT_URL, "https://ci.example.test:8443/gitlab-org/sub/My.Project");
    assert.equal(vars.CI_PROJECT_VISIBILITY, "internal");
    assert.equal(vars.CI_DEFAULT_BRANCH, "main");
    assert.equal(vars.CI_SERVER_URL, "https://ci.example.test:8443");
    assert.equal(vars.CI_SERVER_HOST, "ci.example.test");
    assert.equal(vars.CI_SERVER_PORT, "8443");
    assert.equal(vars.CI_SERVER_PROTOCOL, "https");
    assert.equal(vars.CI_SERVER_FQDN, "ci.example.test:8443");
    assert.equal(vars.CI_SERVER_NAME, "GitLab");
    assert.equal(vars.CI_API_V4_URL, "https://ci.example.test:8443/api/v4");
    assert.equal(vars.CI_CONFIG_PATH, ".gitlab-ci.yml");
  });

  it("sets pipeline variables but not the job-only ones by default", () => {
    assert.equal(vars.CI_PIPELINE_SOURCE, "push");
    assert.equal(vars.CI_PIPELINE_IID, "10");
    assert.equal(vars.CI_PIPELINE_CREATED_AT, "2022-01-31T16:50:00Z");
    assert.equal(vars.GITLAB_USER_LOGIN, "ada");
    assert.equal("CI_PIPELINE_ID" in vars, false);
    assert.equal("CI_PIPELINE_URL" in vars, false);
    assert.equal("CI_PIPELINE_NAME" in vars, false);
    assert.equal("CI_JOB_NAME" in vars, false);
  });

  it("marks availability and keeps GitLab's order (job, project, pipeline)", () => {
    const all = predefinedVariables(branchPush(), { name: "build", stage: "build" });
    const keys = all.map((v) => v.key);
    assert.ok(keys.indexOf("CI_JOB_NAME") < keys.indexOf("CI"));
    assert.ok(keys.indexOf("CI") < keys.indexOf("CI_PIPELINE_IID"));
    const byKey = new Map(all.map((v) => [v.key, v]));
    assert.equal(byKey.get("CI_COMMIT_BRANCH")?.availability, "pre-pipeline");
    assert.equal(byKey.get("CI_JOB_NAME")?.availability, "pipeline");
    assert.equal(byKey.get("GITLAB_USER_ID")?.source, "predefined-user");
    assert.ok(all.every((v) => v.public === true));
  });

  it("with phase pre-pipeline, gives only what include:rules can see", () => {
    const pre = record(predefinedVariables(branchPush(), undefined, { phase: "pre-pipeline" }));
    assert.equal(pre.CI_COMMIT_BRANCH, "feature/Login-Page");
    assert.equal("CI_PIPELINE_IID" in pre, false);
    assert.equal("GITLAB_USER_LOGIN" in pre, false);
  });

  it("defaults the before SHA to forty zeros", () => {
    const event = branchPush();
    delete event.commit.beforeSha;
    assert.equal(record(predefinedVariables(event)).CI_COMMIT_BEFORE_SHA, "0".repeat(40));
  });

  it("sets the workflow name and the open merge requests when given", () => {
    const vars2 = record(
      predefinedVariables(branchPush(), undefined, {
        pipelineName: "Nightly",
        openMergeRequests: ["gitlab-org/gitlab!333", "gitlab-org/gitlab-foss!11"],
      }),
    );
    assert.equal(vars2.CI_PIPELINE_NAME, "Nightly");
    assert.equal(vars2.CI_OPEN_MERGE_REQUESTS, "gitlab-org/gitlab!333,gitlab-org/gitlab-foss!11");
  });
});

describe("predefinedVariables: job", () => {
  it("sets CI_JOB_*, CI_NODE_* and the environment", () => {
    const vars = record(
      predefinedVariables(branchPush(), {
        name: "rspec:test 1/3",
        stage: "test",
        nodeIndex: 1,
        nodeTotal: 3,
        when: "manual",
        environment: {
          name: "review/feature-login",
          url: "https://$CI_ENVIRONMENT_SLUG.example.test",
        },
      }),
    );
    assert.equal(vars.CI_JOB_NAME, "rspec:test 1/3");
    assert.equal(vars.CI_JOB_NAME_SLUG, "rspec-test-1-3");
    assert.equal(vars.CI_JOB_STAGE, "test");
    assert.equal(vars.CI_JOB_MANUAL, "true");
    assert.equal(vars.CI_NODE_INDEX, "1");
    assert.equal(vars.CI_NODE_TOTAL, "3");
    assert.equal(vars.CI_ENVIRONMENT_NAME, "review/feature-login");
    assert.equal(vars.CI_ENVIRONMENT_ACTION, "start");
    assert.equal(vars.CI_ENVIRONMENT_URL, "https://$CI_ENVIRONMENT_SLUG.example.test");
    assert.equal("CI_ENVIRONMENT_TIER" in vars, false);
    // The slug exists only for the running job.
    assert.equal("CI_ENVIRONMENT_SLUG" in vars, false);
  });

  it("gives CI_NODE_TOTAL=1 and no CI_NODE_INDEX without parallel", () => {
    const vars = record(predefinedVariables(branchPush(), { name: "lint", stage: "test" }));
    assert.equal(vars.CI_NODE_TOTAL, "1");
    assert.equal("CI_NODE_INDEX" in vars, false);
    assert.equal("CI_JOB_MANUAL" in vars, false);
    assert.equal("CI_ENVIRONMENT_NAME" in vars, false);
  });

  it("adds the job-only variables for a running job", () => {
    const all = predefinedVariables(
      branchPush(),
      {
        name: "deploy",
        stage: "deploy",
        id: 50,
        environment: { name: "Production", tier: "production" },
      },
      { phase: "job" },
    );
    const vars = record(all);
    assert.equal(vars.CI_PIPELINE_ID, "1000");
    assert.equal(
      vars.CI_PIPELINE_URL,
      "https://ci.example.test:8443/gitlab-org/sub/My.Project/-/pipelines/1000",
    );
    assert.equal(vars.CI_JOB_ID, "50");
    assert.equal(
      vars.CI_JOB_URL,
      "https://ci.example.test:8443/gitlab-org/sub/My.Project/-/jobs/50",
    );
    assert.equal(
      vars.CI_REPOSITORY_URL,
      "https://ci.example.test:8443/gitlab-org/sub/My.Project.git",
    );
    assert.equal(vars.CI_ENVIRONMENT_TIER, "production");
    assert.equal(vars.CI_ENVIRONMENT_SLUG, "production-iis43c");
    const repo = all.find((v) => v.key === "CI_REPOSITORY_URL");
    assert.equal(repo?.public, false);
    assert.equal(repo?.availability, "job-only");
  });
});

describe("predefinedVariables: tag push", () => {
  const event: PipelineEvent = {
    ...branchPush(),
    ref: { kind: "tag", name: "v1.2.0", protected: true },
  };

  it("sets CI_COMMIT_TAG and no CI_COMMIT_BRANCH", () => {
    const vars = record(predefinedVariables(event, undefined, { tagMessage: "Release 1.2.0" }));
    assert.equal(vars.CI_COMMIT_TAG, "v1.2.0");
    assert.equal(vars.CI_COMMIT_TAG_MESSAGE, "Release 1.2.0");
    assert.equal(vars.CI_COMMIT_REF_NAME, "v1.2.0");
    assert.equal(vars.CI_COMMIT_REF_SLUG, "v1-2-0");
    assert.equal(vars.CI_COMMIT_REF_PROTECTED, "true");
    assert.equal("CI_COMMIT_BRANCH" in vars, false);
  });

  it("leaves CI_COMMIT_TAG_MESSAGE absent for a lightweight tag", () => {
    assert.equal("CI_COMMIT_TAG_MESSAGE" in record(predefinedVariables(event)), false);
  });
});

describe("predefinedVariables: merge request event", () => {
  const event: PipelineEvent = {
    ...branchPush(),
    source: "merge_request_event",
    ref: { kind: "branch", name: "feature/Login-Page", protected: false },
    mergeRequest: {
      iid: 42,
      id: 4242,
      title: "Draft: Add login page",
      description: "Adds it.",
      sourceBranch: "feature/Login-Page",
      targetBranch: "main",
      diffBaseSha: "abc123",
      sourceBranchSha: "1111111111111111111111111111111111111111",
      targetBranchSha: "2222222222222222222222222222222222222222",
      labels: ["ux", "backend", "Zebra"],
    },
  };

  it("sets the merge request variables; SHAs are empty outside merged results", () => {
    const vars = record(predefinedVariables(event));
    assert.equal(vars.CI_PIPELINE_SOURCE, "merge_request_event");
    assert.equal(vars.CI_MERGE_REQUEST_IID, "42");
    assert.equal(vars.CI_MERGE_REQUEST_ID, "4242");
    assert.equal(vars.CI_MERGE_REQUEST_REF_PATH, "refs/merge-requests/42/head");
    assert.equal(vars.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, "feature/Login-Page");
    assert.equal(vars.CI_MERGE_REQUEST_TARGET_BRANCH_NAME, "main");
    assert.equal(vars.CI_MERGE_REQUEST_TITLE, "Draft: Add login page");
    assert.equal(vars.CI_MERGE_REQUEST_DRAFT, "true");
    assert.equal(vars.CI_MERGE_REQUEST_DESCRIPTION, "Adds it.");
    assert.equal(vars.CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED, "false");
    assert.equal(vars.CI_MERGE_REQUEST_EVENT_TYPE, "detached");
    assert.equal(vars.CI_MERGE_REQUEST_DIFF_BASE_SHA, "abc123");
    assert.equal(vars.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, "");
    assert.equal(vars.CI_MERGE_REQUEST_TARGET_BRANCH_SHA, "");
    assert.equal(vars.CI_MERGE_REQUEST_LABELS, "Zebra,backend,ux");
    assert.equal(vars.CI_MERGE_REQUEST_PROJECT_PATH, "gitlab-org/sub/My.Project");
    assert.equal(vars.CI_MERGE_REQUEST_PROJECT_ID, "34");
    assert.equal(vars.CI_MERGE_REQUEST_SOURCE_PROJECT_ID, "34");
    assert.equal(vars.CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED, "false");
  });

  it("names the source branch in CI_COMMIT_REF_NAME and has no CI_COMMIT_BRANCH", () => {
    const vars = record(predefinedVariables(event));
    assert.equal(vars.CI_COMMIT_REF_NAME, "feature/Login-Page");
    assert.equal(vars.CI_COMMIT_REF_SLUG, "feature-login-page");
    assert.equal("CI_COMMIT_BRANCH" in vars, false);
    assert.equal(vars.CI_COMMIT_BEFORE_SHA, "0".repeat(40));
  });

  it("gives the SHAs for merged results pipelines", () => {
    const merged: PipelineEvent = {
      ...event,
      mergeRequest: { ...event.mergeRequest!, eventType: "merged_result", draft: false },
    };
    const vars = record(predefinedVariables(merged));
    assert.equal(vars.CI_MERGE_REQUEST_EVENT_TYPE, "merged_result");
    assert.equal(
      vars.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA,
      "1111111111111111111111111111111111111111",
    );
    assert.equal(
      vars.CI_MERGE_REQUEST_TARGET_BRANCH_SHA,
      "2222222222222222222222222222222222222222",
    );
    assert.equal(vars.CI_MERGE_REQUEST_DRAFT, "false");
  });

  it("truncates a long description to 2700 characters with ...", () => {
    const long: PipelineEvent = {
      ...event,
      mergeRequest: { ...event.mergeRequest!, description: "a".repeat(2701) },
    };
    const vars = record(predefinedVariables(long));
    assert.equal(vars.CI_MERGE_REQUEST_DESCRIPTION, `${"a".repeat(2697)}...`);
    assert.equal(vars.CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED, "true");
  });

  it("describes a merge request from a fork by its paths", () => {
    const fork: PipelineEvent = {
      ...event,
      mergeRequest: { ...event.mergeRequest!, sourceProjectPath: "someone/My.Project" },
    };
    const vars = record(predefinedVariables(fork));
    assert.equal(vars.CI_MERGE_REQUEST_SOURCE_PROJECT_PATH, "someone/My.Project");
    assert.equal(
      vars.CI_MERGE_REQUEST_SOURCE_PROJECT_URL,
      "https://ci.example.test:8443/someone/My.Project",
    );
    assert.equal("CI_MERGE_REQUEST_SOURCE_PROJECT_ID" in vars, false);
    assert.equal(
      "CI_MERGE_REQUEST_LABELS" in
        record(
          predefinedVariables({ ...event, mergeRequest: { ...event.mergeRequest!, labels: [] } }),
        ),
      false,
    );
  });

  it("does not set merge request variables for a push with merge request data", () => {
    const push: PipelineEvent = { ...event, source: "push" };
    const vars = record(predefinedVariables(push));
    assert.equal("CI_MERGE_REQUEST_IID" in vars, false);
    assert.equal(vars.CI_COMMIT_BRANCH, "feature/Login-Page");
  });
});

describe("predefinedVariables: schedule", () => {
  const event: PipelineEvent = {
    ...branchPush(),
    source: "schedule",
    ref: { kind: "branch", name: "main", protected: true },
    commit: { sha: SHA, message: "Merge branch 'x' into 'main'" },
  };

  it("is a branch pipeline with source schedule", () => {
    const vars = record(
      predefinedVariables(event, undefined, { scheduleDescription: "Nightly build" }),
    );
    assert.equal(vars.CI_PIPELINE_SOURCE, "schedule");
    assert.equal(vars.CI_PIPELINE_SCHEDULE_DESCRIPTION, "Nightly build");
    assert.equal(vars.CI_COMMIT_BRANCH, "main");
    assert.equal(vars.CI_COMMIT_REF_PROTECTED, "true");
    assert.equal(vars.CI_COMMIT_BEFORE_SHA, "0".repeat(40));
    assert.equal(vars.CI_COMMIT_DESCRIPTION, "");
    assert.equal(vars.CI_COMMIT_AUTHOR, "");
    assert.equal("CI_PIPELINE_TRIGGERED" in vars, false);
  });

  it("sets CI_PIPELINE_TRIGGERED for a job of a triggered pipeline", () => {
    const vars = record(
      predefinedVariables({ ...event, source: "trigger" }, { name: "a", stage: "b" }),
    );
    assert.equal(vars.CI_PIPELINE_TRIGGERED, "true");
  });
});

describe("predefinedVariables: long commit messages", () => {
  it("truncates the message to 100000 bytes and says so", () => {
    const title = "Title";
    const message = `${title}\n${"é".repeat(60_000)}`;
    const vars = record(predefinedVariables({ ...branchPush(), commit: { sha: SHA, message } }));
    assert.equal(vars.CI_COMMIT_MESSAGE_IS_TRUNCATED, "true");
    assert.ok(byteLength(vars.CI_COMMIT_MESSAGE ?? "") <= 100_000);
    assert.ok(byteLength(vars.CI_COMMIT_MESSAGE ?? "") > 99_990);
    assert.equal(vars.CI_COMMIT_TITLE, "Title");
    assert.ok(vars.CI_COMMIT_MESSAGE?.startsWith("Title\né"));
  });

  it("uses the whole message as description when the title is 100 characters or more", () => {
    const message = `${"t".repeat(100)}\nbody`;
    const vars = record(predefinedVariables({ ...branchPush(), commit: { sha: SHA, message } }));
    assert.equal(vars.CI_COMMIT_TITLE, "t".repeat(100));
    assert.equal(vars.CI_COMMIT_DESCRIPTION, message);
  });
});

describe("jobPredefinedVariables", () => {
  it("with the pipeline-wide variables gives exactly what predefinedVariables gives for the job", () => {
    const event = branchPush();
    const job = { name: "rspec 2/3", stage: "test", when: "manual", nodeIndex: 2, nodeTotal: 3 };
    const combined = record([...jobPredefinedVariables(event, job), ...predefinedVariables(event)]);
    assert.deepEqual(combined, record(predefinedVariables(event, job)));
    assert.equal(record(jobPredefinedVariables(event, job)).CI_JOB_NAME, "rspec 2/3");
    assert.equal(record(jobPredefinedVariables(event, job)).CI_PROJECT_PATH, undefined);
  });
});
