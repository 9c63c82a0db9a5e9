/**
 * The deploy system over the REST API, against a real server (real store, real HTTP, real git
 * pushes and runner protocol for the job parts) with a fake deploy engine at Conveyor's own
 * `Deployer` interface: resource set versions pushed idempotently by digest, deployments that
 * stream their log and record per-object results, failures, rollback pins, one deployment at a
 * time per environment (and supersede), job tokens that work only while their job runs,
 * environment jobs listed as deployments, GitLab's deployments API, roles, and cluster
 * credentials that never leave sealed storage except toward the engine.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobPayload } from "@conveyor/protocol";
import { startServer } from "../server.js";
import { FakeDeployer } from "../testing/fake-deployer.js";
import {
  registerRunner,
  requestJob,
  ROOT_TOKEN,
  SECRET_KEY,
  startTestServer,
  type TestProject,
  type TestServer,
  waitUntil,
} from "../testing/server.js";
import { RESTART_MESSAGE } from "./worker.js";

const CLUSTER_TOKEN = "eyJhbGciOiJSUzI1NiJ9.cluster-token-Secret-0123456789";
const CA_DATA =
  "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUSecretCA42\n-----END CERTIFICATE-----";

interface Deployment {
  id: number;
  iid: number;
  status: string;
  source: string;
  ref: string | null;
  sha: string | null;
  message: string | null;
  user: { username: string } | null;
  deployable: { id: number; pipeline: { id: number } | null } | null;
  environment: { id: number; name: string };
  version: { id: number; digest: string } | null;
  resource_set: { name: string } | null;
  objects: {
    ref: { kind: string; name: string };
    action: string;
    health: string;
    message?: string;
  }[];
}

interface Version {
  id: number;
  digest: string;
  job_id: number | null;
  pipeline_id: number | null;
  sha: string | null;
  files: { path: string; content?: string }[];
}

interface LogPage {
  status: string;
  offset: number;
  lines: string[];
  complete: boolean;
}

describe("deploy API", () => {
  let server: TestServer;
  let project: TestProject;
  let other: TestProject;
  let environmentId: number;
  let clusterId: number;
  const fake = new FakeDeployer();
  const tokens: Record<string, string> = {};
  const serverLog: string[] = [];
  /** Every answer body seen, to check that no credential ever leaves the server. */
  const answers: string[] = [];

  const as = async <T>(who: string, method: string, path: string, body?: unknown) => {
    const answer = await server.api<T>(method, path, body, who === "anonymous" ? "" : tokens[who]);
    answers.push(JSON.stringify(answer.body ?? ""));
    return answer;
  };

  /** A call with a job token (`JOB-TOKEN`), as `conveyor deploy` sends it from a job. */
  const asJob = async <T>(token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v4${path}`, {
      method,
      headers: {
        "JOB-TOKEN": token,
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  const p = () => `/projects/${project.id}`;

  const push = (who: string, set: string, files: Record<string, string>, values = {}) =>
    as<Version>(who, "POST", `${p()}/resource_sets/${set}/versions`, {
      kind: "plain",
      files: Object.entries(files).map(([path, content]) => ({ path, content })),
      values,
    });

  const deploy = (who: string, body: Record<string, unknown>, environment = "production") =>
    as<Deployment & { message: string }>(
      who,
      "POST",
      `${p()}/environments/${encodeURIComponent(environment)}/deploy`,
      body,
    );

  /** Reads the whole log with the long poll, as the CLI does; answers the lines and the status. */
  const readLog = async (id: number, who = "developer") => {
    const lines: string[] = [];
    let offset = 0;
    for (let round = 0; round < 200; round++) {
      const page = await as<LogPage>(who, "GET", `${p()}/deployments/${id}/log?offset=${offset}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      lines.push(...page.body.lines);
      offset = page.body.offset;
      if (page.body.complete) return { lines, status: page.body.status };
    }
    throw new Error(`the log of deployment ${id} did not complete (as ${who})`);
  };

  const deployment = async (id: number) =>
    (await as<Deployment>("developer", "GET", `${p()}/deployments/${id}`)).body;

  before(async () => {
    server = await startTestServer({
      deployer: fake,
      deployLogHoldMs: 2000,
      log: (line) => serverLog.push(line),
    });
    tokens.root = ROOT_TOKEN;
    project = await server.createProject("shop");
    other = await server.createProject("elsewhere");
    for (const [name, level] of [
      ["reporter", 20],
      ["developer", 30],
      ["maintainer", 40],
      ["stranger", 0],
    ] as const) {
      const user = await server.api<{ id: number }>("POST", "/users", {
        username: name,
        name,
        email: `${name}@test`,
      });
      const token = await server.api<{ token: string }>(
        "POST",
        `/users/${user.body.id}/personal_access_tokens`,
        { name: "t", scopes: ["api"] },
      );
      tokens[name] = token.body.token;
      if (level > 0) {
        await server.api("POST", `/projects/${project.id}/members`, {
          user_id: user.body.id,
          access_level: level,
        });
      }
    }
    const cluster = await as<{ id: number }>("maintainer", "POST", `${p()}/clusters`, {
      name: "prod",
      server: "https://127.0.0.1:6443",
      token: CLUSTER_TOKEN,
      ca_data: CA_DATA,
    });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
    clusterId = cluster.body.id;
    const environment = await as<{ id: number; cluster_id: number; kubernetes_namespace: string }>(
      "maintainer",
      "POST",
      `${p()}/environments`,
      {
        name: "production",
        tier: "production",
        cluster_id: clusterId,
        kubernetes_namespace: "shop",
      },
    );
    assert.equal(environment.status, 201, JSON.stringify(environment.body));
    assert.equal(environment.body.cluster_id, clusterId);
    assert.equal(environment.body.kubernetes_namespace, "shop");
    environmentId = environment.body.id;
  });

  after(async () => {
    await server.close();
  });

  test("a push renders and stores a version; the same content again answers the stored one", async () => {
    const first = await push(
      "developer",
      "web",
      { "k8s/app.yml": "image: ${image}" },
      { image: "app:1" },
    );
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.match(first.body.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(first.body.files, [{ path: "k8s/app.yml" }]);
    const again = await push(
      "developer",
      "web",
      { "k8s/app.yml": "image: ${image}" },
      { image: "app:1" },
    );
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.digest, first.body.digest);
    const changed = await push(
      "developer",
      "web",
      { "k8s/app.yml": "image: ${image}" },
      { image: "app:2" },
    );
    assert.equal(changed.status, 201);
    assert.notEqual(changed.body.digest, first.body.digest);

    const list = await as<Version[]>("developer", "GET", `${p()}/resource_sets/web/versions`);
    assert.deepEqual(
      list.body.map((v) => v.digest),
      [changed.body.digest, first.body.digest],
    );
    const full = await as<Version & { objects: unknown[] }>(
      "reporter",
      "GET",
      `${p()}/resource_sets/web/versions/${first.body.digest}`,
    );
    assert.equal(full.status, 200);
    assert.deepEqual(full.body.files, [{ path: "k8s/app.yml", content: "image: ${image}" }]);
    const latest = await as<Version>(
      "developer",
      "GET",
      `${p()}/resource_sets/web/versions/latest`,
    );
    assert.equal(latest.body.digest, changed.body.digest);
    const sets = await as<{ name: string; latest_version: { digest: string } }[]>(
      "developer",
      "GET",
      `${p()}/resource_sets`,
    );
    assert.deepEqual(
      sets.body.map((s) => [s.name, s.latest_version.digest]),
      [["web", changed.body.digest]],
    );

    const invalid = await push("developer", "web", { "k8s/broken.yml": "INVALID: [" });
    assert.equal(invalid.status, 400);
    assert.match(JSON.stringify(invalid.body), /rendering failed: k8s\/broken.yml/);
    const noFiles = await as("developer", "POST", `${p()}/resource_sets/web/versions`, {
      files: [],
    });
    assert.equal(noFiles.status, 400);
    const escape = await push("developer", "web", { "../etc/passwd": "x" });
    assert.equal(escape.status, 400);
    const chart = await as<Version & { release: unknown; kind: string }>(
      "developer",
      "POST",
      `${p()}/resource_sets/chart/versions`,
      {
        kind: "helm",
        files: [{ path: "Chart.yaml", content: "name: shop" }],
        values: { replicas: "2" },
        release: { name: "shop", namespace: "web" },
      },
    );
    assert.equal(chart.status, 201, JSON.stringify(chart.body));
    assert.equal(chart.body.kind, "helm");
    assert.deepEqual(chart.body.release, { name: "shop", namespace: "web" });
    const plainRelease = await as("developer", "POST", `${p()}/resource_sets/chart/versions`, {
      files: [{ path: "a.yml", content: "x" }],
      release: { name: "shop" },
    });
    assert.equal(plainRelease.status, 400);
  });

  test("a deploy applies the version, streams its log and records per-object results", async () => {
    await push("developer", "api", { "a.yml": "one", "b.yml": "two" });
    const started = await deploy("developer", { resource_set: "api" });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.source, "deploy");
    assert.equal(started.body.user?.username, "developer");
    const { lines, status } = await readLog(started.body.id);
    assert.equal(status, "success");
    assert.match(lines[0]!, /^Queued deploy of sha256:\w+ to production by developer$/);
    assert.ok(
      lines.some((l) =>
        /^Deploying api sha256:\w+ to production \(cluster prod, namespace shop\)$/.test(l),
      ),
      lines.join("\n"),
    );
    assert.ok(lines.includes("ConfigMap/a-yml configured"), lines.join("\n"));
    assert.equal(lines.at(-1), "Deployment succeeded");
    // The engine's line naming the cluster token reached the log masked.
    assert.ok(
      lines.some((l) => l.includes("with token [MASKED]")),
      lines.join("\n"),
    );

    const done = await deployment(started.body.id);
    assert.equal(done.status, "success");
    assert.equal(done.resource_set?.name, "api");
    assert.deepEqual(
      done.objects.map((o) => [o.ref.kind, o.ref.name, o.action, o.health]),
      [
        ["ConfigMap", "a-yml", "configured", "Current"],
        ["ConfigMap", "b-yml", "configured", "Current"],
      ],
    );
    const request = fake.applies.at(-1)!;
    assert.equal(request.target.namespace, "shop");
    assert.equal(request.target.credentials.token, CLUSTER_TOKEN);
    assert.equal(request.target.impersonate, undefined);

    // The next apply gets this one's inventory, so what left the set is pruned.
    await push("developer", "api", { "a.yml": "one" });
    const next = await deploy("developer", { resource_set: "api", version: "latest" });
    assert.equal((await readLog(next.body.id)).status, "success");
    assert.deepEqual(
      fake.applies.at(-1)!.previousInventory.map((r) => r.name),
      ["a-yml", "b-yml"],
    );
    const pruned = await deployment(next.body.id);
    assert.deepEqual(
      pruned.objects.map((o) => [o.ref.name, o.action]),
      [
        ["a-yml", "configured"],
        ["b-yml", "pruned"],
      ],
    );
    const environment = await as<{ last_deployment: { id: number } }>(
      "developer",
      "GET",
      `${p()}/environments/${environmentId}`,
    );
    assert.equal(environment.body.last_deployment.id, next.body.id);
  });

  test("a failed rollout ends the deployment failed with the engine's diagnosis", async () => {
    const version = await push(
      "developer",
      "broken",
      { "web.yml": "x" },
      { fail: "ImagePullBackOff: app:404" },
    );
    const started = await deploy("developer", {
      resource_set: "broken",
      version: version.body.digest,
    });
    const { lines, status } = await readLog(started.body.id);
    assert.equal(status, "failed");
    assert.equal(lines.at(-1), "Deployment failed: ConfigMap/web-yml: ImagePullBackOff: app:404");
    const failed = await deployment(started.body.id);
    assert.equal(failed.message, "ConfigMap/web-yml: ImagePullBackOff: app:404");
    assert.deepEqual(failed.objects[0], {
      ref: { apiVersion: "v1", kind: "ConfigMap", name: "web-yml", namespace: "shop" },
      action: "failed",
      health: "Failed",
      message: "ImagePullBackOff: app:404",
    });
    const missing = await deploy("developer", { resource_set: "broken", version: "sha256:nope" });
    assert.equal(missing.status, 404);
    const noSet = await deploy("developer", {});
    assert.equal(noSet.status, 400);
  });

  test("rollback applies an earlier version and pins; deploys are refused until unpinned", async () => {
    const one = await push("developer", "pinme", { "p.yml": "v1" });
    const first = await deploy("developer", { resource_set: "pinme" });
    assert.equal((await readLog(first.body.id)).status, "success");
    // The failed apply before it recorded what it left (its objects and the previous ones).
    assert.deepEqual(
      fake.applies.at(-1)!.previousInventory.map((r) => r.name),
      ["web-yml", "a-yml"],
    );
    await push("developer", "pinme", { "p.yml": "v2" });
    const second = await deploy("developer", { resource_set: "pinme" });
    assert.equal((await readLog(second.body.id)).status, "success");

    const denied = await as("developer", "POST", `${p()}/environments/production/rollback`, {
      deployment_id: first.body.id,
    });
    assert.equal(denied.status, 403);
    const rollback = await as<Deployment>(
      "maintainer",
      "POST",
      `${p()}/environments/production/rollback`,
      {
        deployment_id: first.body.id,
      },
    );
    assert.equal(rollback.status, 201, JSON.stringify(rollback.body));
    assert.equal(rollback.body.source, "rollback");
    assert.equal(rollback.body.version?.digest, one.body.digest);
    assert.equal((await readLog(rollback.body.id)).status, "success");
    // Exactly the stored version went to the engine.
    assert.equal(fake.applies.at(-1)!.version.digest, one.body.digest);
    assert.deepEqual(fake.applies.at(-1)!.version.source.files, [{ path: "p.yml", content: "v1" }]);

    const environment = await as<{ pinned: boolean; pinned_version: { digest: string } }>(
      "developer",
      "GET",
      `${p()}/environments/production`.replace("production", String(environmentId)),
    );
    assert.equal(environment.body.pinned, true);
    assert.equal(environment.body.pinned_version.digest, one.body.digest);

    const refused = await deploy("developer", { resource_set: "pinme" });
    assert.equal(refused.status, 409);
    assert.match(
      refused.body.message,
      new RegExp(
        `environment production is pinned to version ${one.body.digest} by a rollback.*unpin`,
      ),
    );
    // Redeploying the pinned version is allowed.
    const redeploy = await as<Deployment>(
      "developer",
      "POST",
      `${p()}/environments/production/redeploy`,
    );
    assert.equal(redeploy.status, 201);
    assert.equal(redeploy.body.version?.digest, one.body.digest);
    assert.equal((await readLog(redeploy.body.id)).status, "success");

    assert.equal(
      (await as("developer", "POST", `${p()}/environments/production/unpin`)).status,
      403,
    );
    const unpinned = await as<{ pinned: boolean }>(
      "maintainer",
      "POST",
      `${p()}/environments/production/unpin`,
    );
    assert.equal(unpinned.status, 200);
    assert.equal(unpinned.body.pinned, false);
    const again = await deploy("developer", { resource_set: "pinme" });
    assert.equal(again.status, 201);
    assert.equal((await readLog(again.body.id)).status, "success");
  });

  test("one deployment at a time per environment: the second waits, supersede cancels waiting ones", async () => {
    await push("developer", "queue", { "q.yml": "1" });
    const release = fake.hold();
    try {
      const first = await deploy("developer", { resource_set: "queue" });
      await fake.waiting(1);
      assert.equal((await deployment(first.body.id)).status, "running");
      const second = await deploy("developer", { resource_set: "queue" });
      const third = await deploy("developer", { resource_set: "queue" });
      assert.equal((await deployment(second.body.id)).status, "created");
      assert.equal((await deployment(third.body.id)).status, "created");
      const appliesBefore = fake.applies.length;
      const latest = await deploy("maintainer", { resource_set: "queue", supersede: true });
      for (const waiting of [second, third]) {
        const canceled = await deployment(waiting.body.id);
        assert.equal(canceled.status, "canceled");
        assert.equal(canceled.message, "superseded by a newer deployment of maintainer");
      }
      assert.equal((await deployment(first.body.id)).status, "running");
      assert.equal((await deployment(latest.body.id)).status, "created");
      release();
      assert.equal((await readLog(first.body.id)).status, "success");
      assert.equal((await readLog(latest.body.id)).status, "success");
      // Only the running one and the superseding one reached the engine.
      assert.equal(fake.applies.length, appliesBefore + 1);
      const list = await as<Deployment[]>(
        "developer",
        "GET",
        `${p()}/deployments?environment=production&status=canceled`,
      );
      assert.deepEqual(
        list.body.map((d) => d.id),
        [second.body.id, third.body.id],
      );
    } finally {
      release();
    }
  });

  describe("from CI jobs", () => {
    let deployJob: JobPayload;
    let reviewJob: JobPayload;
    let runnerToken: string;
    let repository: string;

    before(async () => {
      runnerToken = await registerRunner(server, {});
      ({ dir: repository } = await server.pushNew(project, {
        ".gitlab-ci.yml": [
          "deploy:",
          "  environment: production",
          "  script: [conveyor deploy apply]",
          "review:",
          "  environment:",
          "    name: review/feature",
          "  script: [./deploy-by-hand.sh]",
          "",
        ].join("\n"),
      }));
      const jobs: JobPayload[] = [];
      await waitUntil("two jobs", async () => {
        const answer = await requestJob(server, runnerToken);
        if (answer.payload) jobs.push(answer.payload);
        return jobs.length === 2 ? jobs : undefined;
      });
      deployJob = jobs.find((j) => j.job_info.name === "deploy")!;
      reviewJob = jobs.find((j) => j.job_info.name === "review")!;
    });

    const finish = (job: JobPayload, state: "success" | "failed") =>
      fetch(`${server.url}/api/v4/jobs/${job.id}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "JOB-TOKEN": job.token },
        body: JSON.stringify({
          token: job.token,
          state,
          ...(state === "failed" ? { failure_reason: "script_failure" } : {}),
        }),
      });

    test("a running job pushes and deploys with its token; its own deployment record is used", async () => {
      const pushed = await asJob<Version>(
        deployJob.token,
        "POST",
        `${p()}/resource_sets/web/versions`,
        {
          kind: "plain",
          files: [{ path: "job.yml", content: "from the pipeline" }],
          values: {},
        },
      );
      assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
      assert.equal(pushed.body.job_id, deployJob.id);
      assert.equal(pushed.body.sha, deployJob.git_info.sha);

      const before = (
        await as<Deployment[]>("developer", "GET", `${p()}/deployments?environment=production`)
      ).body;
      const own = before.filter((d) => d.deployable?.id === deployJob.id);
      assert.equal(own.length, 1);
      assert.equal(own[0]!.source, "job");
      assert.equal(own[0]!.status, "running");

      const started = await asJob<Deployment>(
        deployJob.token,
        "POST",
        `${p()}/environments/production/deploy`,
        {
          resource_set: "web",
        },
      );
      assert.equal(started.status, 201, JSON.stringify(started.body));
      assert.equal(started.body.id, own[0]!.id);
      assert.equal(started.body.deployable?.id, deployJob.id);
      assert.equal(started.body.sha, deployJob.git_info.sha);
      assert.equal((await readLog(started.body.id)).status, "success");
      const after = (
        await as<Deployment[]>("developer", "GET", `${p()}/deployments?environment=production`)
      ).body;
      assert.equal(after.filter((d) => d.deployable?.id === deployJob.id).length, 1);

      // Another project's routes do not answer to this job's token.
      const elsewhere = await asJob(deployJob.token, "GET", `/projects/${other.id}/deployments`);
      assert.equal(elsewhere.status, 404);
      // A job token does not roll back.
      const rollback = await asJob(
        deployJob.token,
        "POST",
        `${p()}/environments/production/rollback`,
        {
          deployment_id: started.body.id,
        },
      );
      assert.equal(rollback.status, 401);

      await finish(deployJob, "success");
      const late = await asJob(deployJob.token, "POST", `${p()}/environments/production/deploy`, {
        resource_set: "web",
      });
      assert.equal(late.status, 401);
      const unknown = await asJob("glcbt-not-a-token", "GET", `${p()}/deployments`);
      assert.equal(unknown.status, 401);
      // The engine decided the status; the job's end did not change it.
      assert.equal((await deployment(started.body.id)).status, "success");
    });

    test("an environment job that deploys by itself is listed as a deployment following the job", async () => {
      const listed = async () =>
        (
          await as<Deployment[]>(
            "developer",
            "GET",
            `${p()}/deployments?environment=${encodeURIComponent("review/feature")}`,
          )
        ).body;
      const running = await listed();
      assert.equal(running.length, 1);
      assert.equal(running[0]!.status, "running");
      assert.equal(running[0]!.source, "job");
      assert.equal(running[0]!.deployable?.id, reviewJob.id);
      assert.equal(running[0]!.ref, "main");
      assert.equal(running[0]!.user?.username, "root");
      await finish(reviewJob, "failed");
      await waitUntil("the deployment to follow its job", async () =>
        (await listed())[0]!.status === "failed" ? true : undefined,
      );
    });

    test("a rollback pin refuses the pipeline's next deploy with a clear message", async () => {
      const earlier = (
        await as<Deployment[]>(
          "developer",
          "GET",
          `${p()}/deployments?environment=production&status=success&sort=desc`,
        )
      ).body[0]!;
      const rollback = await as<Deployment>(
        "maintainer",
        "POST",
        `${p()}/environments/production/rollback`,
        {
          deployment_id: earlier.id,
        },
      );
      assert.equal(rollback.status, 201);
      assert.equal((await readLog(rollback.body.id)).status, "success");
      await server.pushMore(repository, {
        ".gitlab-ci.yml": "deploy:\n  environment: production\n  script: [conveyor deploy apply]\n",
      });
      const job = await waitUntil(
        "the next deploy job",
        async () => (await requestJob(server, runnerToken)).payload,
      );
      await asJob(job.token, "POST", `${p()}/resource_sets/web/versions`, {
        files: [{ path: "new.yml", content: "newer" }],
      });
      const refused = await asJob<{ message: string }>(
        job.token,
        "POST",
        `${p()}/environments/production/deploy`,
        {
          resource_set: "web",
        },
      );
      assert.equal(refused.status, 409);
      assert.match(refused.body.message, /is pinned to version sha256:\w+ by a rollback/);
      assert.equal(
        (await as("maintainer", "POST", `${p()}/environments/production/unpin`)).status,
        200,
      );
      const allowed = await asJob<Deployment>(
        job.token,
        "POST",
        `${p()}/environments/production/deploy`,
        {
          resource_set: "web",
        },
      );
      assert.equal(allowed.status, 201);
      assert.equal((await readLog(allowed.body.id)).status, "success");
      await finish(job, "success");
    });
  });

  test("GitLab's create and update a deployment, with filters, order and pages", async () => {
    const created = await as<Deployment>("developer", "POST", `${p()}/deployments`, {
      environment: "manual",
      sha: "a".repeat(40),
      ref: "main",
      tag: false,
      status: "running",
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.environment.name, "manual");
    assert.equal(created.body.source, "api");
    const updated = await as<Deployment>(
      "developer",
      "PUT",
      `${p()}/deployments/${created.body.id}`,
      {
        status: "success",
      },
    );
    assert.equal(updated.status, 200);
    assert.equal(updated.body.status, "success");
    const list = await as<Deployment[]>(
      "developer",
      "GET",
      `${p()}/deployments?environment=manual&status=success`,
    );
    assert.deepEqual(
      list.body.map((d) => d.id),
      [created.body.id],
    );
    const engineOne = (
      await as<Deployment[]>("developer", "GET", `${p()}/deployments?environment=production`)
    ).body[0]!;
    const notMine = await as("developer", "PUT", `${p()}/deployments/${engineOne.id}`, {
      status: "failed",
    });
    assert.equal(notMine.status, 400);
    const bad = await as("developer", "POST", `${p()}/deployments`, { environment: "manual" });
    assert.equal(bad.status, 400);

    const asc = await as<Deployment[]>("developer", "GET", `${p()}/deployments?per_page=2`);
    assert.equal(asc.body.length, 2);
    assert.ok(asc.body[0]!.id < asc.body[1]!.id);
    assert.equal(asc.headers.get("x-next-page"), "2");
    const desc = await as<Deployment[]>(
      "developer",
      "GET",
      `${p()}/deployments?order_by=iid&sort=desc&per_page=1`,
    );
    const all = await as<Deployment[]>("developer", "GET", `${p()}/deployments?per_page=100`);
    assert.equal(desc.body[0]!.iid, Math.max(...all.body.map((d) => d.iid)));
    assert.equal((await as("developer", "GET", `${p()}/deployments?order_by=name`)).status, 400);
  });

  test("roles: GitLab's 401, 404 and 403 on the deploy routes", async () => {
    const cases: [string, string, string, number, unknown?][] = [
      ["anonymous", "GET", `${p()}/deployments`, 401],
      ["stranger", "GET", `${p()}/deployments`, 404],
      ["stranger", "POST", `${p()}/environments/production/deploy`, 404, { resource_set: "web" }],
      ["reporter", "GET", `${p()}/deployments`, 200],
      ["reporter", "GET", `${p()}/resource_sets/web/versions`, 200],
      [
        "reporter",
        "POST",
        `${p()}/resource_sets/web/versions`,
        403,
        { files: [{ path: "a", content: "b" }] },
      ],
      ["reporter", "POST", `${p()}/environments/production/deploy`, 403, { resource_set: "web" }],
      ["reporter", "POST", `${p()}/environments/production/diff`, 403, { resource_set: "web" }],
      ["developer", "POST", `${p()}/environments/production/diff`, 200, { resource_set: "web" }],
      ["developer", "GET", `${p()}/clusters`, 403],
      ["developer", "POST", `${p()}/clusters`, 403, { name: "x", server: "https://x", token: "y" }],
      ["developer", "DELETE", `${p()}/resource_sets/web`, 403],
      ["maintainer", "GET", `${p()}/clusters`, 200],
      ["maintainer", "GET", "/clusters", 403],
      ["root", "GET", "/clusters", 200],
      [
        "developer",
        "PUT",
        `${p()}/environments/${environmentId}`,
        403,
        { kubernetes_namespace: "other" },
      ],
      [
        "developer",
        "PUT",
        `${p()}/environments/${environmentId}`,
        200,
        { external_url: "https://shop.test" },
      ],
      ["developer", "POST", `${p()}/environments/nowhere/deploy`, 404, { resource_set: "web" }],
    ];
    for (const [who, method, path, status, body] of cases) {
      const answer = await as(who, method, path, body);
      assert.equal(
        answer.status,
        status,
        `${who} ${method} ${path}: ${JSON.stringify(answer.body)}`,
      );
    }
    // A protected environment takes deploys from Maintainers only.
    await as("maintainer", "POST", `${p()}/environments`, {
      name: "vault",
      cluster_id: clusterId,
      kubernetes_namespace: "vault",
      protected: true,
    });
    assert.equal((await deploy("developer", { resource_set: "web" }, "vault")).status, 403);
    const byMaintainer = await deploy("maintainer", { resource_set: "web" }, "vault");
    assert.equal(byMaintainer.status, 201);
    assert.equal((await readLog(byMaintainer.body.id)).status, "success");
  });

  test("impersonation applies as the requesting user", async () => {
    const created = await as<{ id: number }>("maintainer", "POST", `${p()}/environments`, {
      name: "team/as-user",
      cluster_id: clusterId,
      kubernetes_namespace: "team",
      impersonate: true,
    });
    assert.equal(created.status, 201);
    const started = await deploy("developer", { resource_set: "web" }, "team/as-user");
    assert.equal((await readLog(started.body.id)).status, "success");
    assert.deepEqual(fake.applies.at(-1)!.target.impersonate, { user: "developer", groups: [] });
  });

  test("diff hands the engine the environment's target and previous inventory", async () => {
    const diff = await as<{ entries: { change: string; ref: { name: string } }[] }>(
      "developer",
      "POST",
      `${p()}/environments/production/diff`,
      { resource_set: "api", version: "latest" },
    );
    assert.equal(diff.status, 200);
    assert.equal(fake.diffs.at(-1)!.target.namespace, "shop");
    assert.ok(diff.body.entries.length > 0);
  });

  test("cluster credentials never appear in an answer or the server's log", async () => {
    const clusters = await as<Record<string, unknown>[]>("maintainer", "GET", `${p()}/clusters`);
    assert.deepEqual(Object.keys(clusters.body[0]!).sort(), [
      "created_at",
      "credential_kind",
      "id",
      "name",
      "project_id",
    ]);
    const sealed = await server.server.store.clusters.byId(clusterId);
    assert.ok(sealed && !sealed.credentialsCiphertext.includes(CLUSTER_TOKEN));
    const secretParts = [CLUSTER_TOKEN, "MIIBszCCAVmgAwIBAgIUSecretCA42"];
    for (const text of [...answers, ...serverLog]) {
      for (const secret of secretParts)
        assert.ok(!text.includes(secret), `leaked in: ${text.slice(0, 200)}`);
    }
    assert.ok(answers.length > 50);
  });
});

describe("deploy API without an engine, and a restart", () => {
  test("routes that need the engine answer 503; GitLab's deployments API still works", async () => {
    const server = await startTestServer();
    try {
      const project = await server.createProject("noengine");
      const push = await server.api<{ message: string }>(
        "POST",
        `/projects/${project.id}/resource_sets/web/versions`,
        {
          files: [{ path: "a.yml", content: "x" }],
        },
      );
      assert.equal(push.status, 503);
      assert.equal(push.body.message, "503 Service Unavailable - deploy engine not configured");
      const created = await server.api("POST", `/projects/${project.id}/deployments`, {
        environment: "prod",
        sha: "b".repeat(40),
        ref: "main",
        tag: false,
        status: "success",
      });
      assert.equal(created.status, 201);
    } finally {
      await server.close();
    }
  });

  test("a deployment running when its server dies is marked failed by the next start", async () => {
    const fake = new FakeDeployer();
    const first = await startTestServer({ deployer: fake });
    let second: Awaited<ReturnType<typeof startServer>> | undefined;
    const release = fake.hold();
    try {
      const project = await first.createProject("crash");
      const cluster = await first.api<{ id: number }>("POST", `/projects/${project.id}/clusters`, {
        name: "c",
        server: "https://127.0.0.1:6443",
        token: CLUSTER_TOKEN,
      });
      await first.api("POST", `/projects/${project.id}/environments`, {
        name: "prod",
        cluster_id: cluster.body.id,
        kubernetes_namespace: "crash",
      });
      await first.api("POST", `/projects/${project.id}/resource_sets/web/versions`, {
        files: [{ path: "a.yml", content: "x" }],
      });
      const started = await first.api<{ id: number }>(
        "POST",
        `/projects/${project.id}/environments/prod/deploy`,
        {
          resource_set: "web",
        },
      );
      await fake.waiting(1);
      // A second server process on the same data starts as the first would after a crash.
      second = await startServer({
        dataDir: first.dataDir,
        database: first.storeTarget,
        port: 0,
        secretKey: SECRET_KEY,
        deployer: new FakeDeployer(),
      });
      const record = await second.store.deployments.byId(started.body.id);
      assert.equal(record?.status, "failed");
      assert.equal(record?.message, RESTART_MESSAGE);
      assert.deepEqual(
        (await second.store.deployments.log(started.body.id)).at(-1),
        RESTART_MESSAGE,
      );
    } finally {
      release();
      await second?.close();
      await first.close();
    }
  });
});
