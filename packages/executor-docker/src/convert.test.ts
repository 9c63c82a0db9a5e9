import { test } from "node:test";
import assert from "node:assert/strict";
import type { JobService } from "@conveyor/protocol";
import { ExecutorError } from "@conveyor/runner";
import {
  buildContainerBody,
  checkExecutorOptions,
  healthCheckPorts,
  identityOf,
  labelsFor,
  LABELS,
  mountsFor,
  networkCreateBody,
  planServices,
  resolveJobImage,
  resolvePullPolicies,
  resourceNames,
  serviceContainerBody,
  serviceWarningLines,
} from "./convert.js";
import { registryAuth } from "./pull.js";
import { parseImageReference } from "./image-ref.js";
import { staleVerdict } from "./stale.js";
import { jobEnvironment, serviceEnvironment } from "./variables.js";
import { testPayload } from "./testing/engine.js";

const identity = identityOf(testPayload({ id: 42 }), {
  sessionId: "ab12cd34",
  ownerPid: 1234,
  ownerHost: "host-a",
});
const names = resourceNames(identity);

test("names every resource after the job and the session", () => {
  assert.deepEqual(names, {
    base: "conveyor-job-42-ab12cd34",
    network: "conveyor-job-42-ab12cd34-network",
    build: "conveyor-job-42-ab12cd34-build",
  });
});

test("labels carry job, session, owner and type; custom labels cannot override them", () => {
  const labels = labelsFor(
    identity,
    "service",
    { [LABELS.service]: "redis" },
    {
      team: "ci",
      [LABELS.managed]: "false",
    },
  );
  assert.equal(labels[LABELS.managed], "true");
  assert.equal(labels[LABELS.jobId], "42");
  assert.equal(labels[LABELS.session], "ab12cd34");
  assert.equal(labels[LABELS.ownerPid], "1234");
  assert.equal(labels[LABELS.ownerHost], "host-a");
  assert.equal(labels[LABELS.type], "service");
  assert.equal(labels[LABELS.service], "redis");
  assert.equal(labels.team, "ci");
});

test("the job image comes from the payload, else the default, else the job fails", () => {
  assert.deepEqual(resolveJobImage({ name: "alpine" }, "debian"), { name: "alpine" });
  assert.deepEqual(resolveJobImage(null, "debian"), { name: "debian" });
  assert.throws(() => resolveJobImage(undefined, undefined), ExecutorError);
});

test("executor_opts other than docker.platform and docker.user fail the job", () => {
  checkExecutorOptions(
    { name: "a", executor_opts: { docker: { user: "1", platform: "linux/amd64" } } },
    "image",
  );
  const image = { name: "a", executor_opts: { docker: { user: "1", memory: "1g" } } } as never;
  assert.throws(
    () => checkExecutorOptions(image, "image"),
    /Unsupported "image" options \[memory\]/,
  );
});

test("pull policies: the image's own list, else the executor default; unknown ones fail", () => {
  assert.deepEqual(resolvePullPolicies({ pull_policy: ["always", "if-not-present"] }, ["never"]), [
    "always",
    "if-not-present",
  ]);
  assert.deepEqual(resolvePullPolicies({ pull_policy: [] }, ["never"]), ["never"]);
  assert.deepEqual(resolvePullPolicies({}, ["if-not-present"]), ["if-not-present"]);
  assert.throws(
    () => resolvePullPolicies({ pull_policy: ["sometimes" as never] }, []),
    ExecutorError,
  );
});

test("mounts: builds dir at /builds, binds, anonymous volumes; malformed volumes fail", () => {
  assert.deepEqual(mountsFor("/tmp/job", ["/srv/data:/data:ro", "/cache", "named:/vol"]), {
    binds: ["/tmp/job:/builds", "/srv/data:/data:ro", "named:/vol"],
    anonymous: ["/cache"],
  });
  for (const bad of ["relative", "/a:relative", "/a:/b:ro:x", ":/b", "/a:/b:r o"]) {
    assert.throws(() => mountsFor("/tmp/job", [bad]), ExecutorError, bad);
  }
});

test("services get default aliases plus their own; taken aliases are skipped with a warning", () => {
  const services: JobService[] = [
    { name: "nginx:latest", alias: "abc" },
    { name: "nginx:latest", alias: "def, ghi" },
    { name: "nginx:1.25" },
    { name: "tutum/wordpress" },
  ];
  const plan = planServices(services, names);
  assert.deepEqual(
    plan.services.map((s) => [s.index, s.aliases, s.containerName, s.displayName]),
    [
      [0, ["nginx", "abc"], "conveyor-job-42-ab12cd34-nginx-0", "nginx:latest"],
      [1, ["def", "ghi"], "conveyor-job-42-ab12cd34-nginx-1", "nginx:latest"],
      [
        3,
        ["tutum__wordpress", "tutum-wordpress"],
        "conveyor-job-42-ab12cd34-tutum__wordpress-3",
        "tutum/wordpress:latest",
      ],
    ],
  );
  // nginx:1.25 has no alias left: not started (gitlab-runner's behaviour).
  assert.deepEqual(plan.warnings, [
    "Service nginx:latest is already created. Ignoring.",
    "Service nginx:1.25 is already created. Ignoring.",
  ]);
  assert.throws(() => planServices([{ name: "Not/Valid" }], names), /invalid service image name/);
});

test("the network is a labelled bridge", () => {
  assert.deepEqual(networkCreateBody(names, { a: "b" }), {
    Name: "conveyor-job-42-ab12cd34-network",
    Driver: "bridge",
    CheckDuplicate: true,
    Labels: { a: "b" },
  });
});

test("the job container: shell detection on stdin, entrypoint, user, env, mounts, network aliases", () => {
  const payload = testPayload({
    variables: [
      { key: "A", value: "1", public: true },
      { key: "SECRET", value: "s", public: false, masked: true },
      { key: "KUBECONFIG", value: "file content", public: false, file: true },
    ],
  });
  const body = buildContainerBody({
    payload,
    image: { name: "x", entrypoint: [""], executor_opts: { docker: { user: "1000" } } },
    imageId: "sha256:img",
    names,
    labels: { l: "1" },
    mounts: mountsFor("/tmp/job", ["/cache"]),
    privileged: true,
  });
  assert.equal(body.Image, "sha256:img");
  assert.deepEqual((body.Cmd as string[]).slice(0, 2), ["sh", "-c"]);
  assert.match((body.Cmd as string[])[2]!, /\/usr\/local\/bin\/bash .*\/bin\/sh \/busybox\/sh/);
  assert.deepEqual(body.Entrypoint, [""]);
  assert.equal(body.User, "1000");
  assert.deepEqual(body.Env, ["A=1", "SECRET=s"]);
  assert.equal(body.OpenStdin, true);
  assert.equal(body.StdinOnce, true);
  assert.equal(body.Tty, false);
  assert.deepEqual(body.Volumes, { "/cache": {} });
  assert.deepEqual(body.HostConfig, {
    Binds: ["/tmp/job:/builds"],
    Privileged: true,
    NetworkMode: names.network,
    RestartPolicy: { Name: "no" },
  });
  assert.deepEqual(body.NetworkingConfig, {
    EndpointsConfig: { [names.network]: { Aliases: ["build", names.build] } },
  });
  // The runner's own user setting wins over image:docker:user; no entrypoint keeps the image's.
  const withUser = buildContainerBody({
    payload,
    image: { name: "x", entrypoint: [] },
    imageId: "i",
    names,
    labels: {},
    mounts: mountsFor("/tmp/job"),
    privileged: false,
    user: "root",
  });
  assert.equal(withUser.User, "root");
  assert.equal(withUser.Entrypoint, undefined);
  assert.equal(withUser.Volumes, undefined);
});

test("a service container: command, entrypoint, user, expanded env, aliases", () => {
  const payload = testPayload({
    variables: [
      { key: "DB", value: "app", public: true },
      { key: "TOKEN", value: "secret", public: false },
    ],
  });
  const [service] = planServices(
    [
      {
        name: "postgres:15",
        alias: "db",
        command: ["postgres", "-c", "fsync=off"],
        entrypoint: ["docker-entrypoint.sh"],
        executor_opts: { docker: { user: "postgres" } },
        variables: [{ key: "POSTGRES_DB", value: "${DB}_test" }],
      },
    ],
    names,
  ).services;
  const body = serviceContainerBody({
    payload,
    service: service!,
    imageId: "sha256:pg",
    names,
    labels: {},
    mounts: mountsFor("/tmp/job"),
    privileged: false,
  });
  assert.deepEqual(body.Cmd, ["postgres", "-c", "fsync=off"]);
  assert.deepEqual(body.Entrypoint, ["docker-entrypoint.sh"]);
  assert.equal(body.User, "postgres");
  assert.deepEqual(body.Env, ["DB=app", "POSTGRES_DB=app_test"]);
  assert.deepEqual((body.HostConfig as { Binds: string[] }).Binds, ["/tmp/job:/builds"]);
  assert.deepEqual(body.NetworkingConfig, {
    EndpointsConfig: { [names.network]: { Aliases: ["postgres", "db"] } },
  });
});

test("environment lists: job gets all but file variables; services public ones, expanded", () => {
  assert.deepEqual(
    jobEnvironment([
      { key: "A", value: "$B", public: true },
      { key: "F", value: "x", public: true, file: true },
    ]),
    ["A=$B"],
  );
  assert.deepEqual(
    serviceEnvironment(
      [
        { key: "HOST", value: "db", public: true },
        { key: "URL", value: "pg://$HOST", public: true },
        { key: "RAW", value: "$HOST", public: true, raw: true },
        { key: "PASS", value: "hidden", public: false },
      ],
      {
        variables: [
          { key: "HOST", value: "override" },
          { key: "P", value: "[$PASS]$$" },
        ],
      },
    ),
    ["URL=pg://override", "RAW=$HOST", "HOST=override", "P=[]$"],
  );
});

test("health-check ports: HEALTHCHECK_TCP_PORT wins, else exposed TCP ports ascending, at most 20", () => {
  assert.deepEqual(healthCheckPorts(["healthcheck_tcp_port=8080"], { "80/tcp": {} }), {
    ports: [8080],
  });
  assert.deepEqual(healthCheckPorts(["HEALTHCHECK_TCP_PORT=http"], {}), {
    error: "invalid health check tcp port: http",
  });
  assert.deepEqual(healthCheckPorts([], { "5432/tcp": {}, "53/udp": {}, "80/tcp": {} }), {
    ports: [80, 5432],
  });
  const range = healthCheckPorts(null, { "9000-9100/tcp": {} });
  assert.ok("ports" in range && range.ports.length === 20 && range.ports[19] === 9019);
  assert.deepEqual(healthCheckPorts([], {}), { error: "service has no exposed TCP ports" });
});

test("the warning block for a service that did not start", () => {
  assert.deepEqual(serviceWarningLines("svc-0", "timeout\n", "t1 line one\nt2 line two\n"), [
    "",
    "*** WARNING: Service svc-0 probably didn't start properly.",
    "",
    "Health check error:",
    "timeout",
    "",
    "Service container logs:",
    "t1 line one",
    "t2 line two",
    "",
    "*********",
    "",
  ]);
});

test("registry credentials from the payload match the image's registry", () => {
  const credentials = [
    { type: "registry", url: "registry.example.com:5000", username: "u", password: "p" },
    { type: "registry", url: "https://index.docker.io/v1/", username: "hub", password: "h" },
  ];
  assert.equal(
    registryAuth(parseImageReference("registry.example.com:5000/a")!, credentials)?.username,
    "u",
  );
  assert.equal(registryAuth(parseImageReference("alpine")!, credentials)?.username, "hub");
  assert.equal(registryAuth(parseImageReference("ghcr.io/a/b")!, credentials), undefined);
});

test("stale verdicts: live sessions and live owners are kept, dead owners' resources go", () => {
  const now = 1_000_000;
  const base = { now, olderThanMs: undefined, liveSessions: new Set(["live"]), host: "h" };
  const alive = (pid: number) => pid === 77;
  const resource = (labels: Record<string, string>, ageMs = 10) => ({
    id: "x",
    createdMs: now - ageMs,
    labels: { [LABELS.managed]: "true", ...labels },
  });
  const verdict = (r: ReturnType<typeof resource>, olderThanMs?: number) =>
    staleVerdict(r, { ...base, olderThanMs, isAlive: alive });
  assert.equal(
    verdict(
      resource({ [LABELS.session]: "live", [LABELS.ownerHost]: "h", [LABELS.ownerPid]: "1" }),
    ),
    false,
  );
  assert.equal(verdict(resource({ [LABELS.ownerHost]: "h", [LABELS.ownerPid]: "77" })), false);
  assert.equal(verdict(resource({ [LABELS.ownerHost]: "h", [LABELS.ownerPid]: "78" })), true);
  assert.equal(
    verdict(resource({ [LABELS.ownerHost]: "h", [LABELS.ownerPid]: "78" }, 10), 60_000),
    false,
  );
  assert.equal(verdict(resource({ [LABELS.ownerHost]: "other", [LABELS.ownerPid]: "78" })), false);
  assert.equal(verdict(resource({ [LABELS.ownerHost]: "other" }, 120_000), 60_000), true);
  assert.equal(
    staleVerdict(
      { id: "y", createdMs: 0, labels: {} },
      { ...base, olderThanMs: 0, isAlive: alive },
    ),
    false,
  );
});
