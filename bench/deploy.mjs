/**
 * The deploy benchmark: how long a rolling update of the shoppingapp seed manifests
 * (../shared/design/seed-pipelines/shoppingapp/k8s: Deployment of 2 replicas with maxSurge 1 /
 * maxUnavailable 0, Service, Ingress) takes from "apply" to "healthy", with Conveyor's deploy
 * engine (server-side apply of each object, then its health wait) and with what the seed
 * pipelines run today, `kubectl apply -f` followed by `kubectl rollout status`, on the same
 * rendered manifests, in the same run, against the cluster KUBECONFIG names (scripts/k8s/up).
 *
 * Each sample gets a fresh namespace: the tool first deploys the set (not timed), then the
 * busybox container's argument changes (so the pod template does and a rollout happens) and
 * the tool deploys again — that second deploy is timed, until the tool says it is done.
 * Samples of the two tools alternate, which goes first alternating too.
 */
import { execFile } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { ROOT } from "./lib/paths.mjs";
import { log, machine, seconds, table, times, writeReport } from "./lib/report.mjs";
import { stats } from "./lib/stats.mjs";

export const DEPLOY_FLAGS = {
  runs: { type: "count", min: 1 },
  timeout: { type: "count", min: 10 },
};

export const DEPLOY_USAGE = [
  "deploy: node bench/run.mjs deploy [--runs N (5)] [--timeout SECONDS (180)]",
  "  needs KUBECONFIG (scripts/k8s/up prints it) and kubectl (.cache/k8s/bin or PATH); skipped without",
];

const SEEDS = join(ROOT, "..", "shared", "design", "seed-pipelines", "shoppingapp", "k8s");
const DEPLOYMENT = "home-deployment";

function kubectlBinary() {
  const candidates = [join(ROOT, ".cache", "k8s", "bin", "kubectl")];
  for (const dir of (process.env.PATH ?? "").split(delimiter))
    if (dir) candidates.push(join(dir, "kubectl"));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The seed set, its Deployment patched for the rig (local image, a command with an argument). */
function source(argument) {
  const files = ["deployment.yml", "service.yml", "ingress.yml"].map((name) => ({
    path: `k8s/${name}`,
    content: readFileSync(join(SEEDS, name), "utf8"),
  }));
  const deployment = files[0];
  deployment.content = deployment.content.replace(
    "imagePullPolicy: Always",
    'imagePullPolicy: Never\n          command: ["sh", "-c", "echo ${release} > /tmp/index.html && exec httpd -f -p 5000 -h /tmp"]',
  );
  return {
    kind: "plain",
    files,
    values: {
      app_name: "shoppingapp",
      service_name: "home",
      image_id: "local/busybox:latest",
      release: argument,
    },
  };
}

function run(binary, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(" ")}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export async function deployBench(given) {
  const o = { runs: 5, timeout: 180, ...given };
  if (!process.env.KUBECONFIG) {
    log("deploy: skipped: set KUBECONFIG to a cluster (scripts/k8s/up prints one)");
    return 0;
  }
  const kubectl = kubectlBinary();
  if (!kubectl) {
    log("deploy: skipped: no kubectl (run scripts/k8s/build.sh or put kubectl on PATH)");
    return 0;
  }
  const dist = join(ROOT, "packages", "deploy", "dist", "index.js");
  if (!existsSync(dist)) {
    log("deploy: packages/deploy is not built (npm run build)");
    return 1;
  }
  if (!existsSync(SEEDS)) {
    log(`deploy: the seed manifests are not at ${SEEDS}`);
    return 1;
  }
  const { createDeployer, createKubeCluster } = await import(dist);
  const kubeconfig = readFileSync(process.env.KUBECONFIG.split(delimiter)[0], "utf8");
  const admin = createKubeCluster({ credentials: { kubeconfig } });
  const deployer = createDeployer();
  const timeoutMs = o.timeout * 1000;
  const work = mkdtempSync(join(tmpdir(), "conveyor-bench-deploy-"));
  const samples = { conveyor: [], kubectl: [] };
  const namespaces = [];

  const freshNamespace = async (tool, i) => {
    const name = `cvd-bench-${tool}-${process.pid}-${i}`;
    namespaces.push(name);
    await admin.apply(
      { apiVersion: "v1", kind: "Namespace", metadata: { name } },
      { fieldManager: "conveyor-bench" },
    );
    const deadline = Date.now() + 30_000;
    while (
      !(await admin.get({
        apiVersion: "v1",
        kind: "ServiceAccount",
        namespace: name,
        name: "default",
      }))
    ) {
      if (Date.now() > deadline) throw new Error(`namespace ${name} got no default ServiceAccount`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return name;
  };

  const conveyorDeploy = async (namespace, version, inventory) => {
    const outcome = await deployer.apply({
      target: { credentials: { kubeconfig }, namespace },
      version,
      previousInventory: inventory,
      timeoutMs,
      signal: new globalThis.AbortController().signal,
      log: () => {},
    });
    if (outcome.status !== "success")
      throw new Error(`conveyor deploy ${outcome.status}: ${outcome.message}`);
    return outcome.inventory;
  };

  const kubectlDeploy = async (namespace, version) => {
    const file = join(work, `${namespace}.yaml`);
    writeFileSync(file, version.objects.map((object) => stringify(object)).join("---\n"));
    await run(kubectl, ["apply", "-n", namespace, "-f", file], timeoutMs);
    await run(
      kubectl,
      ["rollout", "status", "-n", namespace, `deployment/${DEPLOYMENT}`, `--timeout=${o.timeout}s`],
      timeoutMs,
    );
  };

  const sample = async (tool, i) => {
    const namespace = await freshNamespace(tool, i);
    const first = await deployer.render(source(`first-${i}`));
    const second = await deployer.render(source(`second-${i}`));
    let elapsed;
    if (tool === "conveyor") {
      const inventory = await conveyorDeploy(namespace, first, []);
      const started = performance.now();
      await conveyorDeploy(namespace, second, inventory);
      elapsed = performance.now() - started;
    } else {
      await kubectlDeploy(namespace, first);
      const started = performance.now();
      await kubectlDeploy(namespace, second);
      elapsed = performance.now() - started;
    }
    samples[tool].push(elapsed);
    log(`deploy: ${tool} run ${i + 1}/${o.runs}: ${seconds(elapsed)} s`);
    await admin.delete(
      { apiVersion: "v1", kind: "Namespace", name: namespace },
      { propagationPolicy: "Background" },
    );
  };

  let code = 0;
  try {
    for (let i = 0; i < o.runs; i++) {
      const order = i % 2 === 0 ? ["conveyor", "kubectl"] : ["kubectl", "conveyor"];
      for (const tool of order) await sample(tool, i);
    }
  } catch (error) {
    log(`deploy: ${error instanceof Error ? error.message : error}`);
    code = 1;
  } finally {
    for (const name of namespaces) {
      await admin
        .delete({ apiVersion: "v1", kind: "Namespace", name }, { propagationPolicy: "Background" })
        .catch(() => undefined);
    }
    admin.close();
    rmSync(work, { recursive: true, force: true });
  }
  if (code !== 0) return code;

  const conveyor = stats(samples.conveyor);
  const peer = stats(samples.kubectl);
  const ratio = conveyor.median / peer.median;
  const kubectlVersion = (await run(kubectl, ["version", "--client"], 10_000)).split("\n")[0] ?? "";
  process.stdout.write(
    `Deploy: shoppingapp rolling update (2 replicas, maxSurge 1, maxUnavailable 0), apply → healthy, ${o.runs} runs each\n\n`,
  );
  process.stdout.write(
    `${table(
      ["tool", "min s", "median s", "p90 s"],
      [
        [
          "conveyor (SSA + health wait)",
          seconds(conveyor.min),
          seconds(conveyor.median),
          seconds(conveyor.p90),
        ],
        [
          `kubectl apply + rollout status`,
          seconds(peer.min),
          seconds(peer.median),
          seconds(peer.p90),
        ],
      ],
    )}\n\nconveyor/kubectl median: ${times(ratio)}  (${kubectlVersion.trim()})\n`,
  );
  writeReport("deploy-bench.json", {
    machine: machine(),
    runs: o.runs,
    kubectl: kubectlVersion.trim(),
    conveyor: { ...conveyor, samples: samples.conveyor },
    kubectlApplyRolloutStatus: { ...peer, samples: samples.kubectl },
    ratio,
  });
  return 0;
}
