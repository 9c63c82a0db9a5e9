/**
 * `conveyor runner` deployed into Kubernetes as deploy/kubernetes/runner describes it, on the
 * test rig (overlays/rig): the image scripts/k8s/runner-image.sh builds, applied with kubectl in
 * a namespace of its own, takes a job from a real `conveyor server` and runs it as a pod through
 * the Kubernetes executor, with nothing but its ServiceAccount's rights. Then the Role is checked
 * with `kubectl auth can-i` as that ServiceAccount: it may do what the Role lists, in its
 * namespace, and nothing else. The runner's cache_dir is a PersistentVolumeClaim (bound on the rig
 * to a hostPath volume of this test's own, removed afterwards): a cache a job saved is restored
 * for a later job after the runner pod was replaced.
 *
 * Runs when KUBECONFIG names a cluster (the rig: KUBECONFIG=$(scripts/k8s/up)), as root (the
 * image is imported into the rig's containerd); skipped otherwise, or failed when
 * CONVEYOR_REQUIRE_K8S=1. Needs `npm run build` (the image holds the CLI bundle).
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { clusterAvailable } from "@conveyor/executor-kubernetes/testing";
import { ServerAndRunner } from "./testing/server-and-runner.js";
import { CONVEYOR_VERSION } from "./version.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RIG_OVERLAY = join(REPO_ROOT, "deploy/kubernetes/runner/overlays/rig");
/** The rig's runner.toml, which the test fills in with its server, token and namespace. */
const RIG_RUNNER_TOML = join(RIG_OVERLAY, "runner-toml.yaml");
const IMAGE_SCRIPT = join(REPO_ROOT, "scripts/k8s/runner-image.sh");
const SERVICE_ACCOUNT = "conveyor-runner";
const RUNNER_UID = 10001;
/** Where the runner's cache claim is mounted (base/deployment.yaml, cache_dir in runner.toml). */
const CACHE_DIR = "/var/cache/conveyor";

/** The rig's kubectl when it is there (scripts/k8s/build.sh), else `kubectl` on PATH. */
function kubectlPath(): string {
  const rig = join(REPO_ROOT, ".cache/k8s/bin/kubectl");
  return process.env.CONVEYOR_KUBECTL ?? (existsSync(rig) ? rig : "kubectl");
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      kubectlPath(),
      ["--request-timeout=30s", ...args],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function kubectlOk(...args: string[]): Promise<string> {
  const run = await kubectl(...args);
  assert.equal(run.code, 0, `kubectl ${args.join(" ")}:\n${run.stderr}`);
  return run.stdout;
}

/** One `kubectl auth can-i` question as the runner's ServiceAccount. */
interface Question {
  verb: string;
  resource: string;
  subresource?: string;
  /** Default: the runner's namespace; null: cluster-wide. */
  namespace?: string | null;
}

function show(q: Question): string {
  const where = q.namespace === null ? "cluster-wide" : `in ${q.namespace ?? "its namespace"}`;
  return `${q.verb} ${q.resource}${q.subresource ? `/${q.subresource}` : ""} ${where}`;
}

async function canI(namespace: string, q: Question): Promise<boolean> {
  const args = ["auth", "can-i", q.verb, q.resource];
  if (q.subresource) args.push(`--subresource=${q.subresource}`);
  if (q.namespace !== null) args.push("-n", q.namespace ?? namespace);
  args.push(`--as=system:serviceaccount:${namespace}:${SERVICE_ACCOUNT}`);
  const run = await kubectl(...args);
  // can-i prints yes or no; it exits 0 for yes and 1 for no.
  const answer = run.stdout.trim();
  assert.ok(answer === "yes" || answer === "no", `kubectl ${args.join(" ")}: ${run.stderr}`);
  return answer === "yes";
}

/** What deploy/kubernetes/runner/base/role.yaml grants, as its rules. */
const ROLE_RULES = [
  { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "delete"] },
  { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["create", "list", "delete"] },
];

const ALLOWED: Question[] = ROLE_RULES.flatMap((rule) =>
  rule.resources.flatMap((path) => {
    const [resource = path, subresource] = path.split("/");
    return rule.verbs.map((verb) => ({ verb, resource, ...(subresource ? { subresource } : {}) }));
  }),
);

const DENIED: Question[] = [
  // in its namespace, what the executor does not need
  { verb: "get", resource: "secrets" },
  { verb: "watch", resource: "pods" },
  { verb: "update", resource: "pods" },
  { verb: "patch", resource: "pods" },
  { verb: "create", resource: "pods", subresource: "attach" },
  { verb: "create", resource: "pods", subresource: "portforward" },
  { verb: "get", resource: "pods", subresource: "proxy" },
  { verb: "create", resource: "pods", subresource: "eviction" },
  { verb: "create", resource: "serviceaccounts", subresource: "token" },
  { verb: "get", resource: "configmaps" },
  { verb: "list", resource: "events" },
  { verb: "create", resource: "services" },
  { verb: "create", resource: "deployments.apps" },
  { verb: "create", resource: "jobs.batch" },
  { verb: "create", resource: "roles.rbac.authorization.k8s.io" },
  { verb: "create", resource: "rolebindings.rbac.authorization.k8s.io" },
  { verb: "delete", resource: "namespaces", namespace: null },
  // other namespaces
  { verb: "list", resource: "pods", namespace: "kube-system" },
  { verb: "create", resource: "pods", namespace: "default" },
  { verb: "get", resource: "pods", subresource: "exec", namespace: "default" },
  { verb: "list", resource: "secrets", namespace: "kube-system" },
  // cluster-wide
  { verb: "list", resource: "pods", namespace: null },
  { verb: "list", resource: "namespaces", namespace: null },
  { verb: "create", resource: "namespaces", namespace: null },
  { verb: "list", resource: "nodes", namespace: null },
];

interface Job {
  id: number;
  name: string;
  status: string;
}

/** Polls `probe` until it gives a value; `describe` says what was awaited when it never does. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  describe: () => Promise<string>,
  timeoutMs = 240_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The rig overlay's runner.toml (runner-toml.yaml) with this server's URL, the runner's token and
 * the namespace put in: what is tested is the shipped file, cache_dir included.
 */
function rigRunnerToml(url: string, token: string, namespace: string): string[] {
  const text = readFileSync(RIG_RUNNER_TOML, "utf8");
  const start = text.indexOf("runner.toml: |\n");
  assert.ok(start >= 0, `no runner.toml in ${RIG_RUNNER_TOML}`);
  const lines = text
    .slice(start)
    .split("\n")
    .slice(1)
    .map((line) => line.replace(/^ {4}/, ""));
  const settings: [RegExp, string][] = [
    [/^url = ".*"$/, `url = "${url}"`],
    [/^token = ".*"$/, `token = "${token}"`],
    [/^ {2}namespace = ".*"$/, `  namespace = "${namespace}"`],
  ];
  for (const [pattern, value] of settings) {
    const at = lines.findIndex((line) => pattern.test(line));
    assert.ok(at >= 0, `${RIG_RUNNER_TOML} has no line matching ${pattern}`);
    lines[at] = value;
  }
  assert.ok(lines.includes(`cache_dir = "${CACHE_DIR}"`), `${RIG_RUNNER_TOML} sets no cache_dir`);
  return lines;
}

/** The rig's cache volume of this test: PersistentVolumes are cluster-wide, so one per namespace. */
function cacheVolumeOf(namespace: string): { name: string; hostDir: string } {
  return { name: `conveyor-runner-cache-${namespace}`, hostDir: `/tmp/${namespace}-cache` };
}

/**
 * A kustomization in a temporary folder: the rig overlay in `namespace`, with a runner.toml
 * holding this server's URL and the runner's token, and the cache volume made this test's own
 * (kustomize reads only relative paths; it renames the claim's volumeName with the volume).
 */
function writeKustomization(dir: string, namespace: string, url: string, token: string): void {
  const runnerToml = rigRunnerToml(url, token, namespace);
  const volume = cacheVolumeOf(namespace);
  const indent = (lines: string[], by: string) => lines.map((line) => by + line).join("\n");
  writeFileSync(
    join(dir, "kustomization.yaml"),
    [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `namespace: ${namespace}`,
      "resources:",
      `  - ${relative(dir, RIG_OVERLAY)}`,
      "patches:",
      "  - patch: |",
      "      apiVersion: v1",
      "      kind: Secret",
      "      metadata:",
      "        name: conveyor-runner",
      "      stringData:",
      "        runner.toml: |",
      indent(runnerToml, "          "),
      "  - target:",
      "      kind: PersistentVolume",
      "      name: conveyor-runner-cache",
      "    patch: |",
      "      - op: replace",
      "        path: /metadata/name",
      `        value: ${volume.name}`,
      "      - op: replace",
      "        path: /spec/hostPath/path",
      `        value: ${volume.hostDir}`,
      "      - op: replace",
      "        path: /spec/claimRef/namespace",
      `        value: ${namespace}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
}

describe("conveyor runner in Kubernetes (deploy/kubernetes/runner, rig overlay)", () => {
  if (!clusterAvailable("conveyor runner in Kubernetes (deploy/kubernetes/runner, rig overlay)")) {
    return;
  }
  const namespace = `conveyor-k8s-runner-${randomBytes(3).toString("hex")}`;
  // On 127.0.0.1: the rig's runner pod shares the host's network (overlays/rig).
  const server = new ServerAndRunner();
  const kustomization = join(server.dir, "kustomization");
  const cacheVolume = cacheVolumeOf(namespace);
  let project: { id: number; http_url_to_repo: string };
  let runnerToken = "";
  let deployed = false;

  const runnerState = async () => {
    const pods = await kubectl("-n", namespace, "get", "pods", "-o", "wide");
    const logs = await kubectl("-n", namespace, "logs", "deploy/conveyor-runner", "--tail=50");
    const events = await kubectl("-n", namespace, "get", "events", "--sort-by=.lastTimestamp");
    return [
      `--- pods:\n${pods.stdout}${pods.stderr}`,
      `--- runner log:\n${logs.stdout}${logs.stderr}`,
      `--- events:\n${events.stdout.split("\n").slice(-15).join("\n")}`,
      `--- server:\n${server.server?.output().split("\n").slice(-20).join("\n")}`,
    ].join("\n");
  };

  /** The pipeline of `sha` once it finished, and the job `name` of it with its trace. */
  const finishedJob = async (sha: string, name: string) => {
    const pipeline = await until(
      `the pipeline of ${sha.slice(0, 8)} to finish`,
      async () => {
        const list = await server.api<{ id: number; status: string; sha: string }[]>(
          "GET",
          `/projects/${project.id}/pipelines`,
        );
        const found = list.body.find((p) => p.sha === sha);
        return found && ["success", "failed", "canceled"].includes(found.status)
          ? found
          : undefined;
      },
      runnerState,
    );
    const jobs = (
      await server.api<Job[]>("GET", `/projects/${project.id}/pipelines/${pipeline.id}/jobs`)
    ).body;
    const job = jobs.find((j) => j.name === name);
    assert.ok(job, JSON.stringify(jobs));
    return { pipeline, job, trace: await server.trace(project.id, job.id) };
  };

  /** The names of the runner's pods (label of base/deployment.yaml). */
  const runnerPods = async () =>
    (
      await kubectlOk(
        "-n",
        namespace,
        "get",
        "pods",
        "-l",
        "app.kubernetes.io/name=conveyor-runner",
        "-o",
        "jsonpath={.items[*].metadata.name}",
      )
    )
      .split(" ")
      .filter(Boolean);

  before(async () => {
    const image = spawnSync(IMAGE_SCRIPT, [], { encoding: "utf8" });
    assert.equal(image.status, 0, `scripts/k8s/runner-image.sh:\n${image.stderr}`);
    assert.match(image.stdout, /^local\/conveyor-runner:dev /m);

    await server.startServer();
    const runner = await server.api<{ id: number; token: string }>("POST", "/user/runners", {
      runner_type: "instance_type",
      description: "in-cluster",
    });
    assert.equal(runner.status, 201);
    runnerToken = runner.body.token;
    const created = await server.api<{ id: number; http_url_to_repo: string }>(
      "POST",
      "/projects",
      { name: "in-cluster" },
    );
    assert.equal(created.status, 201);
    project = created.body;

    mkdirSync(kustomization);
    writeKustomization(kustomization, namespace, server.url, runnerToken);
    // The cache volume's folder, the runner's own: kubelet gives hostPath volumes no fsGroup.
    mkdirSync(cacheVolume.hostDir, { mode: 0o700 });
    chownSync(cacheVolume.hostDir, RUNNER_UID, RUNNER_UID);
    deployed = true;
    // --server-side: the manifests include the namespace's `default` ServiceAccount, which the
    // controller also creates; a server-side apply merges instead of racing it.
    await kubectlOk("apply", "--server-side", "-k", kustomization);
    await until(
      "the runner pod to be ready",
      async () => {
        const run = await kubectl(
          "-n",
          namespace,
          "wait",
          "--for=condition=Available",
          "deployment/conveyor-runner",
          "--timeout=5s",
        );
        return run.code === 0 ? true : undefined;
      },
      runnerState,
    );
  });

  after(async () => {
    if (deployed) {
      await kubectl("delete", "namespace", namespace, "--wait=false");
      // Bound until the namespace's claim is gone (pv-protection), then deleted.
      await kubectl("delete", "persistentvolume", cacheVolume.name, "--wait=false");
      rmSync(cacheVolume.hostDir, { recursive: true, force: true });
    }
    await server.stop();
  });

  test("the runner pod runs the image's CLI as an unprivileged user on a read-only root", async () => {
    const exec = (...command: string[]) =>
      kubectl("-n", namespace, "exec", "deploy/conveyor-runner", "-c", "runner", "--", ...command);
    const version = await exec("/usr/bin/node", "/opt/conveyor/bin/conveyor.js", "--version");
    assert.equal(version.stdout.trim(), `conveyor ${CONVEYOR_VERSION}`, version.stderr);
    const help = await exec("/usr/bin/node", "/opt/conveyor/bin/conveyor.js", "runner", "--help");
    assert.match(help.stdout, /conveyor runner run/);
    const user = await exec("/usr/bin/node", "-p", "process.getuid() + ':' + process.getgid()");
    assert.equal(user.stdout.trim(), `${RUNNER_UID}:${RUNNER_UID}`);
    const write = await exec("/usr/bin/sh", "-c", "echo x > /opt/conveyor/x");
    assert.notEqual(write.code, 0, "the root filesystem is read-only");
    assert.match(write.stderr, /Read-only file system/);
  });

  test("the runner takes a job and runs it in a pod of its namespace", async () => {
    const sha = server.push(project, {
      ".gitlab-ci.yml": [
        "in-a-pod:",
        "  image: local/busybox:latest",
        "  script:",
        '    - echo "pod $(hostname)"',
        "    - cat greeting.txt",
        "    - test ! -e /var/run/secrets/kubernetes.io/serviceaccount/token && echo no-api-token",
        "",
      ].join("\n"),
      "greeting.txt": "hello from the repository\n",
    });
    const { pipeline, job, trace } = await finishedJob(sha, "in-a-pod");
    assert.equal(pipeline.sha, sha);
    assert.equal(pipeline.status, "success", `${trace}\n${await runnerState()}`);
    assert.match(trace, /Using Kubernetes executor with image local\/busybox:latest/);
    assert.match(trace, new RegExp(`Using Kubernetes namespace: ${namespace}`));
    // The job ran in a pod of its own, not in the runner's pod.
    const [, jobPod] = /^pod (\S+)$/m.exec(trace) ?? [];
    assert.ok(jobPod, trace);
    assert.doesNotMatch(jobPod, /^conveyor-runner-/);
    assert.match(trace, /^hello from the repository$/m);
    assert.match(trace, /^no-api-token$/m, "job pods get no ServiceAccount token");
    assert.match(trace, /Job succeeded/);

    const log = await kubectlOk("-n", namespace, "logs", "deploy/conveyor-runner");
    assert.match(log, new RegExp(`job ${job.id} finished: success`));
    assert.ok(!log.includes(runnerToken), "the runner's log does not show its token");
    // The job's pod is gone; only the runner's pod is left.
    await until(
      "the job's pod to be deleted",
      async () => {
        const names = (await kubectlOk("-n", namespace, "get", "pods", "-o", "name")).trim();
        return names.split("\n").every((name) => name.startsWith("pod/conveyor-runner-"))
          ? true
          : undefined;
      },
      runnerState,
      60_000,
    );
  });

  test("a cache a job saved is restored after the runner pod was replaced: it lives on the claim", async () => {
    // The same job twice: the first run finds no cache and fills it, the second finds it. Between
    // them the runner's pod is replaced (Recreate: the old one is gone before the new one starts),
    // so only the claim can carry the cache over.
    const ci = [
      "cache-user:",
      "  image: local/busybox:latest",
      "  cache:",
      "    key: deps",
      "    paths: [vendor/]",
      "  script:",
      '    - if [ -f vendor/dep.txt ]; then echo "cache=hit $(cat vendor/dep.txt)"; else echo cache=miss; fi',
      "    - mkdir -p vendor && cat fill.txt > vendor/dep.txt",
      "",
    ].join("\n");
    const claim = JSON.parse(
      await kubectlOk("-n", namespace, "get", "pvc", "conveyor-runner-cache", "-o", "json"),
    ) as { spec: { volumeName?: string }; status: { phase?: string } };
    assert.equal(claim.status.phase, "Bound");
    assert.equal(claim.spec.volumeName, cacheVolume.name);
    const mounts = await kubectlOk(
      "-n",
      namespace,
      "exec",
      "deploy/conveyor-runner",
      "-c",
      "runner",
      "--",
      "/usr/bin/sh",
      "-c",
      `test -w ${CACHE_DIR} && echo writable`,
    );
    assert.equal(mounts.trim(), "writable");

    const first = await finishedJob(
      server.push(
        project,
        { ".gitlab-ci.yml": ci, "fill.txt": "filled-by-pipeline-1\n" },
        "cache-1",
      ),
      "cache-user",
    );
    assert.equal(first.pipeline.status, "success", `${first.trace}\n${await runnerState()}`);
    assert.match(first.trace, /^cache=miss$/m);
    assert.match(first.trace, /Created cache/);
    // The archive is in the volume's folder on the node, not in the runner pod.
    const archives = readdirSync(cacheVolume.hostDir, { recursive: true, encoding: "utf8" }).filter(
      (path) => path.endsWith("cache.zip"),
    );
    assert.equal(archives.length, 1, `cache archives in ${cacheVolume.hostDir}: ${archives}`);

    const before = await runnerPods();
    assert.equal(before.length, 1, before.join(", "));
    await kubectlOk("-n", namespace, "rollout", "restart", "deployment/conveyor-runner");
    await kubectlOk(
      "-n",
      namespace,
      "rollout",
      "status",
      "deployment/conveyor-runner",
      "--timeout=180s",
    );
    const after = await until(
      "the runner's old pod to be gone",
      async () => {
        const pods = await runnerPods();
        return pods.length === 1 && pods[0] !== before[0] ? pods : undefined;
      },
      runnerState,
      120_000,
    );

    const second = await finishedJob(
      server.push(
        project,
        { ".gitlab-ci.yml": ci, "fill.txt": "filled-by-pipeline-2\n" },
        "cache-2",
      ),
      "cache-user",
    );
    assert.equal(second.pipeline.status, "success", `${second.trace}\n${await runnerState()}`);
    assert.match(second.trace, /Successfully extracted cache/);
    assert.match(second.trace, /^cache=hit filled-by-pipeline-1$/m);
    // The new pod ran it.
    const log = await kubectlOk("-n", namespace, "logs", `pod/${after[0]}`, "-c", "runner");
    assert.match(log, new RegExp(`job ${second.job.id} finished: success`));
    assert.doesNotMatch(log, new RegExp(`job ${first.job.id} `));
  });

  test("the ServiceAccount may do what the Role lists, in its namespace, and nothing more", async () => {
    const role = JSON.parse(
      await kubectlOk("-n", namespace, "get", "role", "conveyor-runner", "-o", "json"),
    ) as { rules: unknown[] };
    assert.deepEqual(role.rules, ROLE_RULES, "the applied Role is the one this test checks");
    const answers = await Promise.all(
      [...ALLOWED, ...DENIED].map(async (q) => [show(q), await canI(namespace, q)] as const),
    );
    const expected = [
      ...ALLOWED.map((q) => [show(q), true] as const),
      ...DENIED.map((q) => [show(q), false] as const),
    ];
    assert.deepEqual(answers, expected);
  });
});
