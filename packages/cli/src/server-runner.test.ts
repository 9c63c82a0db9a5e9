/**
 * `conveyor server` + `conveyor runner` end to end, as a team starts them: two real processes,
 * a real `git push` over HTTP, jobs run by the shell executor, traces, artifacts between stages
 * and masked variables through GitLab's runner protocol. The crash test kills the server with
 * SIGKILL while a job runs and starts it again: no job is lost or run twice, no acknowledged
 * trace or artifact is lost (issue 4, "Durable dispatch").
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  connectTestEngine,
  ensureTestImages,
  labelledResources,
  TEST_BUSYBOX_IMAGE,
} from "@conveyor/executor-docker/testing";
import { ServerAndRunner } from "./testing/server-and-runner.js";
import { startService } from "./testing/service-process.js";

const MASKED_VALUE = "s3cr3t-Value-0123456789";

describe("conveyor server + conveyor runner, shell executor", () => {
  const deployment = new ServerAndRunner();
  before(async () => {
    await deployment.startServer();
    await deployment.startRunner("--executor", "shell", "--tag", "linux", "--run-untagged");
  });
  after(() => deployment.stop());

  test("a push runs the pipeline: stages, needs, artifacts between stages, masked variables", async () => {
    const project = await deployment.createProject("shop");
    const variable = await deployment.api("POST", `/projects/${project.id}/variables`, {
      key: "DEPLOY_TOKEN",
      value: MASKED_VALUE,
      masked: true,
    });
    assert.equal(variable.status, 201);
    const sha = deployment.push(project, {
      ".gitlab-ci.yml": [
        "stages: [build, test]",
        "variables: { GREETING: hello }",
        "build:",
        "  stage: build",
        "  tags: [linux]",
        "  script:",
        '    - mkdir -p out && echo "built $CI_COMMIT_SHORT_SHA on $CI_COMMIT_REF_NAME" > out/result.txt',
        '    - echo "token is $DEPLOY_TOKEN"',
        "  artifacts: { paths: [out/] }",
        "test:",
        "  stage: test",
        "  script:",
        "    - cat out/result.txt",
        '    - test "$GREETING" = hello',
        '    - test "$CI_PIPELINE_SOURCE" = push',
        "",
      ].join("\n"),
    });

    const pipeline = await deployment.finishedPipeline(project.id);
    assert.equal(pipeline.sha, sha);
    const jobs = await deployment.jobs(project.id, pipeline.id);
    const traces = Object.fromEntries(
      await Promise.all(
        jobs.map(async (job) => [job.name, await deployment.trace(project.id, job.id)]),
      ),
    );
    assert.equal(pipeline.status, "success", JSON.stringify({ jobs, traces }, null, 2));
    assert.deepEqual(jobs.map((job) => [job.name, job.status]).sort(), [
      ["build", "success"],
      ["test", "success"],
    ]);
    for (const job of jobs) {
      assert.ok(job.started_at && job.finished_at, `${job.name} has its times`);
    }
    assert.match(traces.build ?? "", /token is \[MASKED\]/);
    assert.doesNotMatch(Object.values(traces).join("\n"), new RegExp(MASKED_VALUE));
    assert.match(traces.test ?? "", new RegExp(`built ${sha.slice(0, 8)} on main`));
  });
});

describe("the README's two commands: conveyor server, then conveyor runner run --url --token", () => {
  const deployment = new ServerAndRunner(false);
  before(async () => {
    await deployment.startServer();
    deployment.rootToken = readFileSync(join(deployment.dataDir, "root.token"), "utf8").trim();
    const registration = readFileSync(
      join(deployment.dataDir, "registration.token"),
      "utf8",
    ).trim();
    deployment.runner = startService(deployment.dir, [
      "runner",
      "run",
      "--url",
      deployment.url,
      "--token",
      registration,
      "--config",
      deployment.runnerConfig,
    ]);
  });
  after(() => deployment.stop());

  test("the server makes its tokens on first start and the runner registers itself", async () => {
    assert.match(deployment.rootToken, /^glpat-/);
    assert.equal(statSync(join(deployment.dataDir, "root.token")).mode & 0o077, 0);
    const project = await deployment.createProject("hello");
    deployment.push(project, {
      ".gitlab-ci.yml": "hello:\n  script: [echo hello from the runner]\n",
    });
    const pipeline = await deployment.finishedPipeline(project.id);
    assert.equal(pipeline.status, "success");
    assert.match(deployment.runner?.output() ?? "", /registered/);
    // The server's log is structured: JSON lines with time, level and message.
    assert.match(
      deployment.server.output(),
      /^\{"time":"[^"]+","level":"info","msg":"pipeline \d+ for root\/hello main"\}$/m,
    );
    assert.doesNotMatch(
      deployment.server.output() + (deployment.runner?.output() ?? ""),
      /glpat-|glrt-|GR1348941/,
    );
  });
});

describe("conveyor server + conveyor runner, Docker executor", () => {
  const deployment = new ServerAndRunner();
  before(async () => {
    await ensureTestImages(await connectTestEngine());
    await deployment.startServer();
    await deployment.startRunner("--executor", "docker", "--docker-image", TEST_BUSYBOX_IMAGE);
  });
  after(() => deployment.stop());

  test("jobs run in containers of the job's image, artifacts flow, nothing is left behind", async () => {
    const project = await deployment.createProject("boxed");
    deployment.push(project, {
      ".gitlab-ci.yml": [
        "stages: [build, test]",
        `image: ${TEST_BUSYBOX_IMAGE}`,
        "build:",
        "  stage: build",
        "  script:",
        "    - test -f /.dockerenv",
        '    - echo "from $HOSTNAME" > made-in-container.txt',
        "  artifacts: { paths: [made-in-container.txt] }",
        "test:",
        "  stage: test",
        "  script: [cat made-in-container.txt]",
        "",
      ].join("\n"),
    });
    const pipeline = await deployment.finishedPipeline(project.id);
    const jobs = await deployment.jobs(project.id, pipeline.id);
    const test = jobs.find((job) => job.name === "test");
    assert.ok(test);
    const trace = await deployment.trace(project.id, test.id);
    assert.equal(pipeline.status, "success", trace);
    assert.match(
      trace,
      /from conveyor-job-\d+-/,
      "the artifact was made in the build job's container",
    );
    const engine = await connectTestEngine();
    const runnerPid = deployment.runner?.child.pid ?? 0;
    const left = await labelledResources(engine, { ownerPid: runnerPid });
    assert.deepEqual(left, { containers: [], networks: [] });
  });
});

describe("conveyor server killed with SIGKILL mid-pipeline", () => {
  const deployment = new ServerAndRunner();
  const marks = join(deployment.dir, "marks");
  before(async () => {
    mkdirSync(marks);
    await deployment.startServer();
    await deployment.startRunner("--executor", "shell");
  });
  after(() => deployment.stop());

  test("loses no job, no acknowledged trace and no artifact, and runs nothing twice", async () => {
    const project = await deployment.createProject("crash");
    deployment.push(project, {
      ".gitlab-ci.yml": [
        "stages: [build, test]",
        "slow:",
        "  stage: build",
        "  script:",
        "    - echo 'first half'",
        `    - while [ ! -e '${join(marks, "go")}' ]; do sleep 0.1; done`,
        "    - echo 'second half'",
        "    - echo artifact-body > a.txt",
        `    - echo run >> '${join(marks, "slow")}'`,
        "  artifacts: { paths: [a.txt] }",
        "check:",
        "  stage: test",
        "  script:",
        "    - cat a.txt",
        `    - echo run >> '${join(marks, "check")}'`,
        "",
      ].join("\n"),
    });

    const slow = await deployment.until("the slow job to run and log", async () => {
      const pipelines = await deployment.api<{ id: number }[]>(
        "GET",
        `/projects/${project.id}/pipelines`,
      );
      const id = pipelines.body[0]?.id;
      if (id === undefined) return undefined;
      const job = (await deployment.jobs(project.id, id)).find((j) => j.name === "slow");
      if (job?.status !== "running") return undefined;
      return (await deployment.trace(project.id, job.id)).includes("first half") ? job : undefined;
    });

    assert.equal(await deployment.server.stop("SIGKILL"), "SIGKILL");
    await deployment.startServer();
    // The job may go on only now: everything after this point reaches the restarted server.
    mkdirSync(join(marks, "go"));

    const pipeline = await deployment.finishedPipeline(project.id);
    const jobs = await deployment.jobs(project.id, pipeline.id);
    const slowTrace = await deployment.trace(project.id, slow.id);
    assert.equal(pipeline.status, "success", `${JSON.stringify(jobs)}\n${slowTrace}`);
    assert.match(slowTrace, /first half[\s\S]*second half/);
    const check = jobs.find((job) => job.name === "check");
    assert.ok(check);
    assert.match(await deployment.trace(project.id, check.id), /artifact-body/);
    assert.equal(readFileSync(join(marks, "slow"), "utf8"), "run\n");
    assert.equal(readFileSync(join(marks, "check"), "utf8"), "run\n");
  });
});
