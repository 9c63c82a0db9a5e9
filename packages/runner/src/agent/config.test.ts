import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type AgentConfig,
  ConfigError,
  defaultConfigPath,
  emptyConfig,
  parseAgentConfig,
  readAgentConfig,
  readAgentConfigOrEmpty,
  writeAgentConfig,
} from "./config.js";
import { loadSystemId, systemIdFile } from "./system-id.js";

const FILE = "/etc/conveyor/runner.toml";

/** A config.toml as gitlab-runner writes one, plus keys Conveyor does not know. */
const GITLAB_STYLE = `
concurrent = 4
check_interval = 0
shutdown_timeout = 45
log_level = "info"

[session_server]
  session_timeout = 1800

[[runners]]
  name = "docker-box"
  url = "https://gitlab.example.com/"
  id = 42
  token = "glrt-abcdefghijklmnop"
  token_obtained_at = 2024-05-01T10:00:00Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "docker"
  limit = 2
  request_concurrency = 3
  builds_dir = "/srv/builds"
  cache_dir = "/srv/cache"
  output_limit = 8192
  environment = ["A=1"]
  [runners.docker]
    image = "alpine:3.20"
    privileged = true
    volumes = ["/cache", "/var/run/docker.sock:/var/run/docker.sock"]
    pull_policy = "if-not-present"
    wait_for_services_timeout = 60
    tls_verify = false

[[runners]]
  url = "http://127.0.0.1:8080"
  token = "legacy-token-1"
  executor = "shell"
  shell = "sh"
`;

describe("runner configuration (config.toml style)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "conveyor-config-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads gitlab-runner's fields with its defaults", () => {
    const config = parseAgentConfig(GITLAB_STYLE, FILE);
    assert.equal(config.concurrent, 4);
    assert.equal(config.checkInterval, 3, "check_interval ≤ 0 means 3 s (§6.1)");
    assert.equal(config.shutdownTimeout, 45);
    const [docker, shell] = config.runners;
    assert.deepEqual(
      { ...docker!, extra: undefined, docker: undefined },
      {
        name: "docker-box",
        url: "https://gitlab.example.com/",
        id: 42,
        token: "glrt-abcdefghijklmnop",
        tokenObtainedAt: "2024-05-01T10:00:00.000Z",
        executor: "docker",
        limit: 2,
        requestConcurrency: 3,
        buildsDir: "/srv/builds",
        cacheDir: "/srv/cache",
        outputLimit: 8192,
        extra: undefined,
        docker: undefined,
      },
    );
    assert.equal(docker!.tokenExpiresAt, undefined, "the zero time means no expiry");
    assert.deepEqual(docker!.docker, {
      image: "alpine:3.20",
      privileged: true,
      volumes: ["/cache", "/var/run/docker.sock:/var/run/docker.sock"],
      pullPolicy: ["if-not-present"],
      waitForServicesTimeout: 60,
      extra: { tls_verify: false },
    });
    assert.equal(shell!.name, "runner-2");
    assert.equal(shell!.shell, "sh");
    assert.equal(shell!.limit, 0);
    assert.equal(shell!.requestConcurrency, 1);
  });

  it("reads [runners.kubernetes] as gitlab-runner writes it, and writes it back", async () => {
    const text = `
[[runners]]
  url = "https://gitlab.example.com/"
  token = "glrt-kube"
  executor = "kubernetes"
  [runners.kubernetes]
    namespace = "ci"
    image = "alpine:3.20"
    helper_image = "registry.example.com/helper:1"
    service_account = "ci-jobs"
    image_pull_secrets = ["regcred"]
    privileged = true
    pull_policy = "if-not-present"
    allowed_pull_policies = ["always", "if-not-present"]
    cpu_request = "100m"
    cpu_limit = 2
    cpu_limit_overwrite_max_allowed = "4"
    memory_request_overwrite_max_allowed = "2Gi"
    helper_memory_limit = "128Mi"
    service_cpu_request_overwrite_max_allowed = "500m"
    poll_interval = 1
    poll_timeout = 300
    pod_termination_grace_period_seconds = 5
    dns_policy = "none"
    [runners.kubernetes.node_selector]
      "kubernetes.io/arch" = "amd64"
    [runners.kubernetes.node_tolerations]
      "dedicated=ci" = "NoSchedule"
    [runners.kubernetes.pod_labels]
      team = "platform"
    [runners.kubernetes.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution]
      nodeSelectorTerms = [{ matchExpressions = [{ key = "zone", operator = "In", values = ["a"] }] }]
    [[runners.kubernetes.volumes.pvc]]
      name = "cache-claim"
      mount_path = "/cache"
    [[runners.kubernetes.volumes.host_path]]
      name = "docker"
      mount_path = "/var/run/docker.sock"
      host_path = "/run/docker.sock"
      read_only = true
    [[runners.kubernetes.volumes.config_map]]
      name = "settings"
      mount_path = "/settings"
      [runners.kubernetes.volumes.config_map.items]
        "app.ini" = "app.ini"
    [[runners.kubernetes.volumes.empty_dir]]
      name = "scratch"
      mount_path = "/scratch"
      medium = "Memory"
      size_limit = "1Gi"
`;
    const config = parseAgentConfig(text, FILE);
    const kubernetes = config.runners[0]!.kubernetes!;
    assert.equal(config.runners[0]!.executor, "kubernetes");
    assert.deepEqual(kubernetes, {
      namespace: "ci",
      image: "alpine:3.20",
      helperImage: "registry.example.com/helper:1",
      serviceAccount: "ci-jobs",
      imagePullSecrets: ["regcred"],
      privileged: true,
      pullPolicy: ["if-not-present"],
      allowedPullPolicies: ["always", "if-not-present"],
      build: {
        cpuRequest: "100m",
        cpuLimit: "2",
        cpuLimitOverwriteMaxAllowed: "4",
        memoryRequestOverwriteMaxAllowed: "2Gi",
      },
      helper: { memoryLimit: "128Mi" },
      service: { cpuRequestOverwriteMaxAllowed: "500m" },
      pollInterval: 1,
      pollTimeout: 300,
      podTerminationGracePeriodSeconds: 5,
      nodeSelector: { "kubernetes.io/arch": "amd64" },
      nodeTolerations: { "dedicated=ci": "NoSchedule" },
      podLabels: { team: "platform" },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] },
            ],
          },
        },
      },
      volumes: {
        pvc: [{ name: "cache-claim", mountPath: "/cache" }],
        hostPath: [
          {
            name: "docker",
            mountPath: "/var/run/docker.sock",
            hostPath: "/run/docker.sock",
            readOnly: true,
          },
        ],
        configMap: [{ name: "settings", mountPath: "/settings", items: { "app.ini": "app.ini" } }],
        emptyDir: [{ name: "scratch", mountPath: "/scratch", medium: "Memory", sizeLimit: "1Gi" }],
      },
      extra: { dns_policy: "none" },
    });
    const file = join(dir, "kubernetes.toml");
    await writeAgentConfig(file, config);
    assert.deepEqual(await readAgentConfig(file), config);
  });

  it("applies the defaults to an empty file", () => {
    const config = parseAgentConfig("", FILE);
    assert.deepEqual(config, emptyConfig());
  });

  for (const [what, text, message] of [
    [
      "an unknown executor",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "custom"`,
      `${FILE}: runners[0].executor must be "shell" or "docker" or "kubernetes", got "custom"`,
    ],
    [
      "a resource that is not a quantity",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "kubernetes"\n[runners.kubernetes]\ncpu_limit = "lots"`,
      `${FILE}: runners[0].kubernetes.cpu_limit must be a Kubernetes quantity such as "500m" or "1Gi", got "lots"`,
    ],
    [
      "a volume without a mount path",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "kubernetes"\n[[runners.kubernetes.volumes.pvc]]\nname = "claim"`,
      `${FILE}: runners[0].kubernetes.volumes.pvc[0].mount_path is required`,
    ],
    [
      "a node selector that is not a table of strings",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "kubernetes"\n[runners.kubernetes]\nnode_selector = "zone=a"`,
      `${FILE}: runners[0].kubernetes.node_selector must be a table of strings, got "zone=a"`,
    ],
    [
      "a missing token",
      `[[runners]]\nurl = "http://x"\nexecutor = "shell"`,
      `${FILE}: runners[0].token is required`,
    ],
    [
      "a URL that is not http(s)",
      `[[runners]]\nurl = "git@example.com:x"\ntoken = "t"\nexecutor = "shell"`,
      `${FILE}: runners[0].url must be an http(s) URL, got "git@example.com:x"`,
    ],
    [
      "a negative limit",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "shell"\nlimit = -1`,
      `${FILE}: runners[0].limit must be a whole number of at least 0, got -1`,
    ],
    [
      "concurrent = 0",
      `concurrent = 0`,
      `${FILE}: concurrent must be a whole number of at least 1, got 0`,
    ],
    [
      "a bad pull policy",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "docker"\n[runners.docker]\npull_policy = ["sometimes"]`,
      `${FILE}: runners[0].docker.pull_policy must be "always", "if-not-present" or "never" (or a list of them), got ["sometimes"]`,
    ],
    [
      "privileged as a string",
      `[[runners]]\nurl = "http://x"\ntoken = "t"\nexecutor = "docker"\n[runners.docker]\nprivileged = "yes"`,
      `${FILE}: runners[0].docker.privileged must be true or false, got "yes"`,
    ],
  ] as const) {
    it(`refuses ${what}, naming the file and the field`, () => {
      assert.throws(
        () => parseAgentConfig(text, FILE),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  it("reports TOML syntax errors with the file, line and column", () => {
    assert.throws(
      () => parseAgentConfig("concurrent = 2\nrunners = [\n", FILE),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith(`${FILE}:3:`),
    );
  });

  it("writes the file with mode 0600, keeping unknown keys, and reads back the same", async () => {
    const file = join(dir, "sub", "runner.toml");
    const config = parseAgentConfig(GITLAB_STYLE, FILE);
    await writeAgentConfig(file, config);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, "utf8");
    assert.match(text, /\[\[runners\]\]/);
    assert.match(text, /\[runners\.docker\]/);
    assert.match(text, /log_level = "info"/);
    assert.match(text, /session_timeout = 1800/);
    const back: AgentConfig = await readAgentConfig(file);
    assert.deepEqual(back, config);
  });

  it("tightens the mode of an existing, world-readable file when rewriting it", async () => {
    const file = join(dir, "loose.toml");
    await writeFile(file, "concurrent = 1\n", { mode: 0o644 });
    await writeAgentConfig(file, emptyConfig());
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it("says how to create a missing file, and reads it as empty where that is wanted", async () => {
    const file = join(dir, "missing.toml");
    await assert.rejects(
      readAgentConfig(file),
      /missing\.toml: no such configuration file; register/,
    );
    assert.deepEqual(await readAgentConfigOrEmpty(file), emptyConfig());
  });

  it("finds the file in $CONVEYOR_RUNNER_CONFIG, else ~/.conveyor/runner.toml", () => {
    assert.equal(
      defaultConfigPath({ CONVEYOR_RUNNER_CONFIG: "/x/r.toml" }, "/home/u"),
      "/x/r.toml",
    );
    assert.equal(defaultConfigPath({}, "/home/u"), "/home/u/.conveyor/runner.toml");
  });

  it("keeps one system id per host next to the file", async () => {
    const file = join(dir, "ids", "runner.toml");
    const id = await loadSystemId(file);
    assert.match(id, /^[sr]_[0-9a-zA-Z]{12}$/);
    assert.equal(await loadSystemId(file), id);
    assert.equal((await readFile(systemIdFile(file), "utf8")).trim(), id);
  });
});
