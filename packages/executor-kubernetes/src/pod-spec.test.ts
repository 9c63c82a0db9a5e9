/**
 * The executor's pure parts, without a cluster: the pod built from options and payload, resource
 * overrides and quantities, service host names, pull policies, tolerations, volumes, the registry
 * Secret, the verdict on a starting pod, the exec status, the shell probe and stale objects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import type { JobPayload } from "@conveyor/protocol";
import { ExecutorError } from "@conveyor/runner";
import { testPayload } from "@conveyor/runner/testing";
import { exitOfStatus } from "./exec.js";
import {
  buildPod,
  type JobIdentity,
  LABELS,
  planServices,
  podNameOf,
  registrySecretOf,
  resolvePullPolicy,
  serviceBaseName,
  tolerationsOf,
  userVolumes,
} from "./pod-spec.js";
import { podVerdict } from "./pod-wait.js";
import { parseQuantity } from "./quantity.js";
import { resolveResources } from "./resources.js";
import { parseShellProbe } from "./shell.js";
import { staleVerdict } from "./stale.js";

const identity: JobIdentity = {
  jobId: 42,
  jobName: "unit tests",
  pipelineId: 9,
  projectId: 7,
  concurrentId: 2,
  runnerId: "abcdef0123",
  sessionId: "0badcafe",
  ownerPid: 1234,
  ownerHost: "runner host.example",
};

function payloadWith(tweak: (payload: JobPayload) => void = () => undefined): JobPayload {
  const payload = testPayload({
    id: 42,
    variables: [
      { key: "PUBLIC_VAR", value: "visible", public: true },
      { key: "SECRET_VAR", value: "hidden-secret", public: false, masked: true },
      { key: "FILE_VAR", value: "content", public: true, file: true },
    ],
  });
  tweak(payload);
  return payload;
}

describe("buildPod", () => {
  it("builds the pod: build, helper and service containers sharing the builds emptyDir", () => {
    const payload = payloadWith((p) => {
      p.image = { name: "alpine:3.20" };
      p.services = [
        {
          name: "registry.example.com:5000/group/postgres:15",
          alias: "db, database",
          command: ["postgres", "-c", "fsync=off"],
          variables: [{ key: "POSTGRES_DB", value: "db-$PUBLIC_VAR" }],
        },
      ];
    });
    const { pod, services, warnings } = buildPod({
      payload,
      options: { helperImage: "helper:1", pullPolicy: ["if-not-present"] },
      identity,
      namespace: "ci",
    });
    assert.equal(pod.metadata!.name, "runner-abcdef01-project-7-concurrent-2-0badcafe");
    assert.equal(pod.metadata!.namespace, "ci");
    assert.deepEqual(pod.metadata!.labels, {
      [LABELS.managed]: "true",
      [LABELS.runner]: "abcdef0123",
      [LABELS.jobId]: "42",
      [LABELS.projectId]: "7",
      [LABELS.pipelineId]: "9",
      [LABELS.session]: "0badcafe",
      [LABELS.ownerHost]: "runner-host.example",
      [LABELS.ownerPid]: "1234",
    });
    const spec = pod.spec!;
    assert.equal(spec.restartPolicy, "Never");
    assert.deepEqual(
      spec.containers.map((c) => [c.name, c.image, c.imagePullPolicy]),
      [
        ["build", "alpine:3.20", "IfNotPresent"],
        ["helper", "helper:1", "IfNotPresent"],
        ["svc-0", "registry.example.com:5000/group/postgres:15", "IfNotPresent"],
      ],
    );
    const [build, helper, service] = spec.containers;
    // The image's entrypoint runs the keep-alive shell; stdin stays open for it.
    assert.equal(build!.command, undefined);
    assert.equal(build!.args?.[0], "sh");
    assert.equal(build!.stdin, true);
    // Secrets stay out of the spec; file variables are written by the steps.
    assert.deepEqual(build!.env, [
      { name: "CI_JOB_ID", value: "42" },
      { name: "CI_PROJECT_PATH", value: "group/project" },
      { name: "PUBLIC_VAR", value: "visible" },
    ]);
    assert.deepEqual(
      build!.volumeMounts!.map((m) => m.mountPath),
      ["/builds", "/conveyor-steps"],
    );
    assert.deepEqual(helper!.volumeMounts, [{ name: "conveyor-builds", mountPath: "/builds" }]);
    assert.deepEqual(service!.args, ["postgres", "-c", "fsync=off"]);
    assert.equal(service!.command, undefined);
    assert.deepEqual(service!.env?.at(-1), { name: "POSTGRES_DB", value: "db-visible" });
    assert.deepEqual(spec.hostAliases, [
      {
        ip: "127.0.0.1",
        hostnames: ["registry.example.com-group-postgres", "db", "database"],
      },
    ]);
    assert.deepEqual(
      spec.volumes!.map((v) => [v.name, v.emptyDir !== undefined]),
      [
        ["conveyor-builds", true],
        ["conveyor-steps", true],
      ],
    );
    assert.equal(services[0]!.displayName, "registry.example.com/group/postgres:15");
    assert.deepEqual(warnings, []);
  });

  it('uses image:entrypoint as the command, and [""] to clear it', () => {
    const withEntrypoint = (entrypoint: string[]) =>
      buildPod({
        payload: payloadWith((p) => {
          p.image = { name: "tool:1", entrypoint };
        }),
        options: {},
        identity,
        namespace: "ci",
      }).pod.spec!.containers[0]!;
    const custom = withEntrypoint(["/bin/entry", "--flag"]);
    assert.deepEqual(custom.command, ["/bin/entry", "--flag"]);
    assert.equal(custom.args?.[0], "sh");
    const cleared = withEntrypoint([""]);
    assert.equal(cleared.command?.[0], "sh");
    assert.equal(cleared.args, undefined);
  });

  it("takes the default image, user, scheduling, privileges, secrets and volumes from the options", () => {
    const payload = payloadWith((p) => {
      p.image = null;
    });
    const { pod } = buildPod({
      payload,
      options: {
        defaultImage: "debian:12",
        serviceAccount: "ci-jobs",
        imagePullSecrets: ["regcred"],
        nodeSelector: { "kubernetes.io/arch": "amd64" },
        nodeTolerations: { "dedicated=ci": "NoSchedule" },
        affinity: { nodeAffinity: {} },
        privileged: true,
        terminationGracePeriodSeconds: 5,
        podLabels: { team: "a" },
        podAnnotations: { note: "b" },
        volumes: { pvc: [{ name: "cache-claim", mountPath: "/cache", readOnly: true }] },
      },
      identity,
      namespace: "ci",
      jobPullSecrets: ["job-secret"],
    });
    const spec = pod.spec!;
    assert.equal(spec.containers[0]!.image, "debian:12");
    assert.equal(spec.serviceAccountName, "ci-jobs");
    assert.deepEqual(spec.imagePullSecrets, [{ name: "regcred" }, { name: "job-secret" }]);
    assert.deepEqual(spec.nodeSelector, { "kubernetes.io/arch": "amd64" });
    assert.deepEqual(spec.tolerations, [
      { key: "dedicated", operator: "Equal", value: "ci", effect: "NoSchedule" },
    ]);
    assert.deepEqual(spec.affinity, { nodeAffinity: {} });
    assert.equal(spec.terminationGracePeriodSeconds, 5);
    assert.equal(spec.containers[0]!.securityContext?.privileged, true);
    assert.equal(spec.containers[1]!.securityContext, undefined);
    assert.equal(pod.metadata!.labels!.team, "a");
    assert.equal(pod.metadata!.annotations!.note, "b");
    assert.equal(pod.metadata!.annotations!["conveyor.dev/job-name"], "unit tests");
    assert.deepEqual(spec.volumes!.at(-1), {
      name: "cache-claim",
      persistentVolumeClaim: { claimName: "cache-claim", readOnly: true },
    });
    assert.deepEqual(spec.containers[0]!.volumeMounts!.at(-1), {
      name: "cache-claim",
      mountPath: "/cache",
      readOnly: true,
    });
  });

  it("sets the user of image:kubernetes:user and refuses other executor options", () => {
    const context = buildPod({
      payload: payloadWith((p) => {
        p.image = { name: "alpine", executor_opts: { kubernetes: { user: "1000:2000" } } };
      }),
      options: {},
      identity,
      namespace: "ci",
    }).pod.spec!.containers[0]!.securityContext;
    assert.deepEqual(context, { runAsUser: 1000, runAsGroup: 2000 });
    assert.throws(
      () =>
        buildPod({
          payload: payloadWith((p) => {
            p.image = {
              name: "alpine",
              executor_opts: { kubernetes: { user: "x", shell: "zsh" } as { user: string } },
            };
          }),
          options: {},
          identity,
          namespace: "ci",
        }),
      /Unsupported "image" options \[shell\] for "kubernetes executor"/,
    );
  });

  it("fails a job without an image when the executor has no default", () => {
    assert.throws(
      () =>
        buildPod({
          payload: payloadWith((p) => (p.image = null)),
          options: {},
          identity,
          namespace: "ci",
        }),
      (error: unknown) =>
        error instanceof ExecutorError && /no image specified/.test(error.message),
    );
  });

  it("applies resource overrides within the maximum and refuses them above", () => {
    const options = {
      build: { cpuRequest: "100m", cpuRequestOverwriteMaxAllowed: "1" },
      service: { memoryLimit: "256Mi", memoryLimitOverwriteMaxAllowed: "1Gi" },
    };
    const withVariables = (variables: Record<string, string>) =>
      buildPod({
        payload: payloadWith((p) => {
          p.variables.push(
            ...Object.entries(variables).map(([key, value]) => ({ key, value, public: true })),
          );
          p.services = [{ name: "redis:7" }];
        }),
        options: { ...options, defaultImage: "alpine" },
        identity,
        namespace: "ci",
      });
    const within = withVariables({
      KUBERNETES_CPU_REQUEST: "0.5",
      KUBERNETES_SERVICE_MEMORY_LIMIT: "512Mi",
      KUBERNETES_MEMORY_LIMIT: "1Gi",
    });
    const [build, , service] = within.pod.spec!.containers;
    assert.deepEqual(build!.resources, { requests: { cpu: "0.5" } });
    assert.deepEqual(service!.resources, { limits: { memory: "512Mi" } });
    assert.deepEqual(within.warnings, [
      "KUBERNETES_MEMORY_LIMIT is ignored: the runner allows no override (set memory_limit_overwrite_max_allowed)",
    ]);
    assert.throws(
      () => withVariables({ KUBERNETES_SERVICE_MEMORY_LIMIT: "2Gi" }),
      /KUBERNETES_SERVICE_MEMORY_LIMIT "2Gi" is higher than the maximum the runner allows, "1Gi" \(service_memory_limit_overwrite_max_allowed\)/,
    );
    assert.throws(
      () => withVariables({ KUBERNETES_CPU_REQUEST: "lots" }),
      /invalid KUBERNETES_CPU_REQUEST "lots": not a Kubernetes quantity/,
    );
  });
});

describe("resources and quantities", () => {
  it("reads Kubernetes quantities", () => {
    assert.equal(parseQuantity("500m"), 0.5);
    assert.equal(parseQuantity("2"), 2);
    assert.equal(parseQuantity("1.5"), 1.5);
    assert.equal(parseQuantity("512Mi"), 512 * 2 ** 20);
    assert.equal(parseQuantity("1G"), 1e9);
    assert.equal(parseQuantity("1e3"), 1000);
    assert.equal(parseQuantity("1E"), 1e18);
    assert.equal(parseQuantity("abc"), undefined);
    assert.equal(parseQuantity("1Mb"), undefined);
  });

  it("overrides the helper with its own variables", () => {
    const resolved = resolveResources(
      "helper",
      { cpuLimit: "200m", cpuLimitOverwriteMaxAllowed: "500m" },
      [{ key: "KUBERNETES_HELPER_CPU_LIMIT", value: "500m", public: true }],
    );
    assert.deepEqual(resolved, { requirements: { limits: { cpu: "500m" } }, warnings: [] });
    assert.deepEqual(resolveResources("build", undefined, []), {
      requirements: undefined,
      warnings: [],
    });
  });
});

describe("services, pull policies, tolerations, volumes", () => {
  it("gives services their default and explicit host names, skipping invalid and taken ones", () => {
    assert.equal(serviceBaseName("postgres:15"), "postgres");
    assert.equal(serviceBaseName("localhost:5000/a/b@sha256:abc"), "localhost/a/b");
    const { services, warnings } = planServices([
      { name: "group/tool:1", alias: "Tool_Alias tool" },
      { name: "redis" },
      { name: "redis:7", alias: "cache" },
    ]);
    assert.deepEqual(
      services.map((s) => [s.containerName, s.aliases]),
      [
        ["svc-0", ["group-tool", "tool"]],
        ["svc-1", ["redis"]],
        ["svc-2", ["cache"]],
      ],
    );
    assert.deepEqual(warnings, [
      'Service alias "Tool_Alias" is not a valid host name. Ignoring.',
      "Service redis:7 is already created. Ignoring.",
    ]);
  });

  it("maps pull policies within what the runner allows", () => {
    assert.equal(resolvePullPolicy({ name: "a" }, {}), "IfNotPresent");
    assert.equal(resolvePullPolicy({ name: "a" }, { pullPolicy: ["never"] }), "Never");
    assert.equal(
      resolvePullPolicy(
        { name: "a", pull_policy: ["always"] },
        { pullPolicy: ["if-not-present"], allowedPullPolicies: ["always", "if-not-present"] },
      ),
      "Always",
    );
    assert.throws(
      () => resolvePullPolicy({ name: "a", pull_policy: ["always"] }, { pullPolicy: ["never"] }),
      /pull_policy \(\[always\]\) defined in GitLab pipeline config is not one of the allowed_pull_policies \(\[never\]\)/,
    );
  });

  it("reads gitlab-runner's node_tolerations", () => {
    assert.deepEqual(tolerationsOf({ "a=b": "NoSchedule", onlykey: "", "": "NoExecute" }), [
      { key: "a", operator: "Equal", value: "b", effect: "NoSchedule" },
      { key: "onlykey", operator: "Exists" },
      { operator: "Exists", effect: "NoExecute" },
    ]);
  });

  it("mounts every kind of volume, refusing a name used twice", () => {
    const { volumes, mounts } = userVolumes({
      hostPath: [{ name: "docker", mountPath: "/var/run/docker.sock", hostPath: "/run/d.sock" }],
      configMap: [{ name: "cfg", mountPath: "/cfg", items: { "app.ini": "app.ini" } }],
      secret: [{ name: "creds", mountPath: "/creds", readOnly: true }],
      emptyDir: [{ name: "scratch", mountPath: "/scratch", medium: "Memory", sizeLimit: "1Gi" }],
    });
    assert.deepEqual(volumes, [
      { name: "docker", hostPath: { path: "/run/d.sock" } },
      { name: "cfg", configMap: { name: "cfg", items: [{ key: "app.ini", path: "app.ini" }] } },
      { name: "creds", secret: { secretName: "creds" } },
      { name: "scratch", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
    ]);
    assert.equal(mounts.length, 4);
    assert.throws(
      () => userVolumes({ emptyDir: [{ name: "conveyor-builds", mountPath: "/x" }] }),
      /used twice \(or reserved\)/,
    );
  });

  it("puts registry credentials in a dockerconfigjson Secret", () => {
    const payload = payloadWith((p) => {
      p.credentials = [
        { type: "registry", url: "reg.example", username: "u", password: "p" },
        { type: "other", url: "x", username: "x", password: "x" },
      ];
    });
    const secret = registrySecretOf(payload, identity, "ci")!;
    assert.equal(secret.metadata!.name, `${podNameOf(identity)}-registry`);
    assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
    assert.deepEqual(JSON.parse(secret.stringData![".dockerconfigjson"]!), {
      auths: { "reg.example": { username: "u", password: "p", auth: "dTpw" } },
    });
    assert.equal(registrySecretOf(payloadWith(), identity, "ci"), undefined);
  });
});

describe("podVerdict", () => {
  const pod = (status: V1Pod["status"], extra: string[] = []): V1Pod => ({
    metadata: { name: "p", namespace: "ns" },
    spec: {
      containers: ["build", "helper", ...extra].map((name) => ({ name, image: `${name}:img` })),
    },
    status,
  });

  it("fails at once on a pull error, naming the container, image and reason", () => {
    const verdict = podVerdict(
      pod({
        phase: "Pending",
        containerStatuses: [
          {
            name: "build",
            image: "build:img",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: {
              waiting: { reason: "ErrImageNeverPull", message: "Container image is not present" },
            },
          },
        ],
      }),
    );
    assert.deepEqual(verdict, {
      state: "failed",
      message:
        'pod ns/p: container "build" (image build:img) cannot start: ErrImageNeverPull: Container image is not present',
    });
  });

  it("fails on an unschedulable pod and waits on a pending one", () => {
    assert.equal(
      podVerdict(
        pod({
          phase: "Pending",
          conditions: [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: "0/1 nodes are available",
            },
          ],
        }),
      ).state,
      "failed",
    );
    assert.deepEqual(
      podVerdict(
        pod({
          phase: "Pending",
          conditions: [
            {
              type: "Ready",
              status: "False",
              reason: "ContainersNotReady",
              message: "containers with unready status: [build helper]",
            },
            {
              type: "ContainersReady",
              status: "False",
              reason: "ContainersNotReady",
              message: "containers with unready status: [build helper]",
            },
          ],
        }),
      ),
      {
        state: "pending",
        status: "Pending",
        details: ['\tContainersNotReady: "containers with unready status: [build helper]"'],
      },
    );
  });

  it("is running once build and helper run and every service started or ended", () => {
    const running = { running: { startedAt: new Date() } };
    const status = (name: string, state: object) => ({
      name,
      image: "",
      imageID: "",
      ready: true,
      restartCount: 0,
      state,
    });
    const base = [status("build", running), status("helper", running)];
    assert.equal(
      podVerdict(
        pod({ phase: "Running", containerStatuses: [...base, status("svc-0", { waiting: {} })] }, [
          "svc-0",
        ]),
      ).state,
      "pending",
    );
    assert.deepEqual(
      podVerdict(
        pod(
          {
            phase: "Running",
            containerStatuses: [...base, status("svc-0", { terminated: { exitCode: 3 } })],
          },
          ["svc-0"],
        ),
      ),
      { state: "running", exitedServices: [{ container: "svc-0", detail: "exited with code 3" }] },
    );
    assert.match(
      (
        podVerdict(
          pod({
            phase: "Running",
            containerStatuses: [status("build", { terminated: { exitCode: 0 } }), base[1]!],
          }),
        ) as { message: string }
      ).message,
      /container "build" exited with code 0 before the job started; the job image's entrypoint must run the command/,
    );
  });
});

describe("exec status, shell probe, stale objects", () => {
  it("reads the exit code from the exec status", () => {
    assert.deepEqual(exitOfStatus({ status: "Success" }), { exitCode: 0 });
    assert.deepEqual(
      exitOfStatus({
        status: "Failure",
        reason: "NonZeroExitCode",
        message: "command terminated with non-zero exit code",
        details: { causes: [{ reason: "ExitCode", message: "42" }] },
      }),
      { exitCode: 42 },
    );
    assert.deepEqual(exitOfStatus({ status: "Failure", message: "container not found" }), {
      error: "container not found",
    });
  });

  it("reads the shell probe", () => {
    assert.deepEqual(parseShellProbe("banner\nconveyor-detected-shell=/usr/bin/bash\n"), {
      path: "/usr/bin/bash",
      shell: "bash",
    });
    assert.deepEqual(parseShellProbe("conveyor-detected-shell=/bin/sh"), {
      path: "/bin/sh",
      shell: "sh",
    });
    assert.equal(parseShellProbe("shell not found"), null);
  });

  it("calls an object stale only when its owner is gone", () => {
    const context = {
      now: 10_000,
      olderThanMs: undefined,
      liveSessions: new Set(["live"]),
      host: "me",
      isAlive: (pid: number) => pid === 77,
    };
    const labels = (session: string, host: string, pid: number) => ({
      [LABELS.managed]: "true",
      [LABELS.session]: session,
      [LABELS.ownerHost]: host,
      [LABELS.ownerPid]: String(pid),
    });
    assert.equal(staleVerdict(labels("s1", "me", 99), 0, context), true);
    assert.equal(staleVerdict(labels("s1", "me", 77), 0, context), false);
    assert.equal(staleVerdict(labels("live", "me", 99), 0, context), false);
    assert.equal(staleVerdict(labels("s1", "other", 99), 0, context), false);
    assert.equal(
      staleVerdict(labels("s1", "other", 99), 0, { ...context, olderThanMs: 5_000 }),
      true,
    );
    assert.equal(staleVerdict({}, 0, context), false);
  });
});
