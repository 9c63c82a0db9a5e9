/**
 * `conveyor deploy` as people and jobs run it: the real bin script in a child process against a
 * real Conveyor server in this process (real HTTP on 127.0.0.1, real store, real git push and
 * runner protocol for the job), whose deploy engine is the fake at Conveyor's own `Deployer`
 * interface. From a laptop with --url/--token/--project; from a job with only the CI_*
 * variables a runner sets (the job token). Covers push by digest, apply streaming the log, a
 * failed rollout's exit code, rollback pinning the environment against the pipeline's next
 * apply, unpin, history, status and diff.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  FakeDeployer,
  registerRunner,
  requestJob,
  ROOT_TOKEN,
  startTestServer,
  type TestProject,
  type TestServer,
  waitUntil,
} from "@conveyor/server/testing";
import { type CommandResult, CONVEYOR_BIN, runAsync, writeFiles } from "./testing/cli-process.js";

const CLUSTER_TOKEN = "cluster-Secret-token-0123456789abcdef";

/** `conveyor ARGS` with exactly `env` (plus PATH and HOME): no CI_* leaks in from outside. */
function conveyorWith(
  cwd: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<CommandResult> {
  return runAsync(process.execPath, [CONVEYOR_BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
  });
}

describe("conveyor deploy", () => {
  let server: TestServer;
  let project: TestProject;
  let work: string;
  let maintainerToken: string;
  const fake = new FakeDeployer();

  /** As a person on a laptop: --url, --token (root unless given), --project. */
  const laptop = (token: string, ...args: string[]) => {
    const [command, ...rest] = args;
    return conveyorWith(
      work,
      {},
      "deploy",
      command!,
      "--url",
      server.url,
      "--token",
      token,
      "--project",
      project.path_with_namespace,
      ...rest,
    );
  };

  before(async () => {
    server = await startTestServer({ deployer: fake, deployLogHoldMs: 2000 });
    project = await server.createProject("shop");
    work = mkdtempSync(join(tmpdir(), "conveyor-deploy-cli-"));
    writeFiles(work, {
      "k8s/deployment.yml": "image: ${image}\n",
      "k8s/service.yml": "port: 80\n",
      ".git/config": "not uploaded",
    });
    const user = await server.api<{ id: number }>("POST", "/users", {
      username: "maintainer",
      email: "m@test",
    });
    maintainerToken = (
      await server.api<{ token: string }>("POST", `/users/${user.body.id}/personal_access_tokens`, {
        name: "t",
        scopes: ["api"],
      })
    ).body.token;
    await server.api("POST", `/projects/${project.id}/members`, {
      user_id: user.body.id,
      access_level: 40,
    });
    const cluster = await server.api<{ id: number }>("POST", `/projects/${project.id}/clusters`, {
      name: "prod",
      server: "https://127.0.0.1:6443",
      token: CLUSTER_TOKEN,
    });
    const environment = await server.api("POST", `/projects/${project.id}/environments`, {
      name: "production",
      cluster_id: cluster.body.id,
      kubernetes_namespace: "shop",
    });
    assert.equal(environment.status, 201);
  });

  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  test("push uploads a directory and prints the digest; the same content gives the same digest", async () => {
    const first = await laptop(
      ROOT_TOKEN,
      "push",
      "--resource-set",
      "web",
      "--var",
      "image=app:1",
      "k8s",
    );
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.match(first.stderr, /Pushed 2 file\(s\) of web/);
    const again = await laptop(
      ROOT_TOKEN,
      "push",
      "--resource-set",
      "web",
      "--var",
      "image=app:1",
      "k8s",
    );
    assert.equal(again.stdout, first.stdout);
    const version = await server.api<{ files: { path: string }[] }>(
      "GET",
      `/projects/${project.id}/resource_sets/web/versions/latest`,
    );
    assert.deepEqual(
      version.body.files.map((f) => f.path),
      ["deployment.yml", "service.yml"],
    );
    const bad = await laptop(ROOT_TOKEN, "push", "--var", "novalue", "k8s");
    assert.equal(bad.code, 2);
  });

  test("apply streams the deployment log and exits 0 on success", async () => {
    const applied = await laptop(
      ROOT_TOKEN,
      "apply",
      "--environment",
      "production",
      "--resource-set",
      "web",
    );
    assert.equal(applied.code, 0, applied.stderr);
    const lines = applied.stdout.trim().split("\n");
    assert.match(lines[0]!, /^Queued deploy of sha256:\w+ to production by root$/);
    assert.ok(lines.includes("ConfigMap/deployment-yml configured"), applied.stdout);
    assert.equal(lines.at(-1), "Deployment succeeded");
    assert.ok(!applied.stdout.includes(CLUSTER_TOKEN));
    assert.ok(applied.stdout.includes("with token [MASKED]"));
  });

  test("apply --set NAME --var K=V -f DIR pushes and deploys in one step, as the seed pipelines write it", async () => {
    const applied = await laptop(
      ROOT_TOKEN,
      "apply",
      "--environment",
      "production",
      "--set",
      "web",
      "--var",
      "image=app:7",
      "-f",
      "k8s",
    );
    assert.equal(applied.code, 0, applied.stderr);
    const digest = /Pushed 2 file\(s\) of web: (sha256:\w+)/.exec(applied.stderr)?.[1];
    assert.ok(digest, applied.stderr);
    assert.match(
      applied.stdout,
      new RegExp(`^Queued deploy of ${digest} to production by root$`, "m"),
    );
    const version = await server.api<{ values: Record<string, string> }>(
      "GET",
      `/projects/${project.id}/resource_sets/web/versions/${digest}`,
    );
    assert.equal(version.body.values.image, "app:7");
    const mixed = await laptop(ROOT_TOKEN, "apply", "--environment", "production", "--var", "a=b");
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--var and --kind describe files: give them with -f DIR/);
  });

  test("a failed rollout exits 1 with the diagnosis", async () => {
    const pushed = await laptop(
      ROOT_TOKEN,
      "push",
      "--resource-set",
      "web",
      "--var",
      "fail=CrashLoopBackOff",
      "k8s",
    );
    assert.equal(pushed.code, 0, pushed.stderr);
    const applied = await laptop(
      ROOT_TOKEN,
      "apply",
      "--environment",
      "production",
      "--resource-set",
      "web",
      "--version",
      pushed.stdout.trim(),
    );
    assert.equal(applied.code, 1);
    assert.match(applied.stdout, /Deployment failed: ConfigMap\/deployment-yml: CrashLoopBackOff/);
    assert.match(
      applied.stderr,
      /deployment \d+ failed: ConfigMap\/deployment-yml: CrashLoopBackOff/,
    );
  });

  test("from a job: CI variables and the job token; a rollback pin refuses its apply until unpinned", async () => {
    const history = await laptop(ROOT_TOKEN, "history", "--environment", "production", "--json");
    const deployments = JSON.parse(history.stdout) as { id: number; status: string }[];
    const good = deployments.find((d) => d.status === "success")!;
    const rollback = await laptop(
      maintainerToken,
      "rollback",
      "--environment",
      "production",
      "--to",
      String(good.id),
    );
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stderr, /production is pinned to sha256:\w+ until someone unpins it/);

    const runner = await registerRunner(server, {});
    await server.pushNew(project, {
      ".gitlab-ci.yml": "deploy:\n  environment: production\n  script: [conveyor deploy apply]\n",
    });
    const job = await waitUntil(
      "the deploy job",
      async () => (await requestJob(server, runner)).payload,
    );
    const ci: Record<string, string> = {};
    for (const variable of job.variables) ci[variable.key] = variable.value;
    assert.ok(ci.CI_API_V4_URL && ci.CI_JOB_TOKEN && ci.CI_PROJECT_ID);
    assert.equal(ci.CI_ENVIRONMENT_NAME, "production");
    const jobEnv = {
      CI_API_V4_URL: ci.CI_API_V4_URL,
      CI_SERVER_URL: ci.CI_SERVER_URL ?? "",
      CI_JOB_TOKEN: ci.CI_JOB_TOKEN,
      CI_PROJECT_ID: ci.CI_PROJECT_ID,
      CI_ENVIRONMENT_NAME: ci.CI_ENVIRONMENT_NAME,
    };
    const pushed = await conveyorWith(
      work,
      jobEnv,
      "deploy",
      "push",
      "--resource-set",
      "web",
      "--var",
      "image=app:2",
      "k8s",
    );
    assert.equal(pushed.code, 0, pushed.stderr);
    const refused = await conveyorWith(work, jobEnv, "deploy", "apply", "--resource-set", "web");
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /environment production is pinned to version sha256:\w+ by a rollback/,
    );

    const unpinned = await laptop(maintainerToken, "unpin", "--environment", "production");
    assert.equal(unpinned.code, 0, unpinned.stderr);
    const applied = await conveyorWith(work, jobEnv, "deploy", "apply", "--resource-set", "web");
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(
      applied.stdout,
      new RegExp(
        `^Queued deploy of ${pushed.stdout.trim()} to production by root \\(job ${job.id}\\)`,
        "m",
      ),
    );

    const status = await conveyorWith(work, jobEnv, "deploy", "status");
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      new RegExp(
        `^deployment \\d+ to production: success\\n  deploy of web ${pushed.stdout.trim()}`,
      ),
    );
    assert.match(status.stdout, /^ConfigMap\/deployment-yml\s+shop\s+configured\s+Current/m);
  });

  test("history shows a table; diff lists changes", async () => {
    const history = await laptop(ROOT_TOKEN, "history", "--environment", "production");
    assert.equal(history.code, 0, history.stderr);
    const rows = history.stdout.trim().split("\n");
    assert.match(rows[0]!, /^ID\s+ENVIRONMENT\s+STATUS\s+SOURCE\s+VERSION\s+USER\s+JOB\s+CREATED$/);
    assert.ok(
      rows.some((row) => /\bproduction\s+success\s+rollback\b/.test(row)),
      history.stdout,
    );
    assert.ok(
      rows.some((row) => /\bproduction\s+failed\s+deploy\b/.test(row)),
      history.stdout,
    );
    const diff = await laptop(
      ROOT_TOKEN,
      "diff",
      "--environment",
      "production",
      "--resource-set",
      "web",
    );
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /^~ update ConfigMap\/deployment-yml \(shop\)$/m);
  });
});
