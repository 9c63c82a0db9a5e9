/**
 * Waits until every applied object is Current (status.ts), failing fast with a diagnosis when
 * a workload's pods show a problem that waiting will not fix (pods.ts, notes a.3): the pod,
 * the container, the reason and message, the recent Warning events of the object, its current
 * ReplicaSet and the pod, and the last log lines of a crashing container.
 *
 * Objects are re-read on every watch event about their kind (and about pods in their
 * namespace) and at least every `pollIntervalMs` (1 s) as a safety net (notes g.3, Advice).
 * Progress lines go to `log` when an object's status message changes.
 */
import type { Cluster, WatchHandle } from "../cluster/port.js";
import { ClusterError } from "../cluster/port.js";
import { describeRef, refKey } from "../refs.js";
import type { KubeObject, ObjectRef } from "../types.js";
import { tailLines, warningLines } from "./events.js";
import { spec, status, str } from "./fields.js";
import {
  currentReplicaSet,
  isOwnedBy,
  labelSelectorString,
  type PodProblem,
  podProblems,
} from "./pods.js";
import { objectStatus, type ObjectStatus } from "./status.js";

export interface WaitTuning {
  /** Re-read everything at least this often (default 1000 ms). */
  pollIntervalMs?: number;
  /** Fail when a pod stays Unschedulable this long (default 15 s, kstatus's value). */
  unschedulableAfterMs?: number;
  /** Fail when a probed container stays running-but-not-ready this long (default 60 s). */
  notReadyAfterMs?: number;
  /** Log lines of a crashing container to include (default 20). */
  logLines?: number;
}

export interface WaitRequest extends WaitTuning {
  timeoutMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface WaitResult {
  status: "success" | "failed" | "canceled";
  /** The last status of each object, by refKey. */
  statuses: Map<string, ObjectStatus>;
  message?: string;
}

const WORKLOAD_KINDS = new Set([
  "apps|Deployment",
  "apps|StatefulSet",
  "apps|DaemonSet",
  "apps|ReplicaSet",
  "batch|Job",
  "|Pod",
]);

function workloadKey(ref: { apiVersion: string; kind: string }): string {
  const slash = ref.apiVersion.indexOf("/");
  return `${slash < 0 ? "" : ref.apiVersion.slice(0, slash)}|${ref.kind}`;
}

/** Resolves after `ms`, on wake(), or on abort — whichever comes first. */
class Waker {
  private resolve: (() => void) | undefined;
  private pending = false;

  wake(): void {
    this.pending = true;
    this.resolve?.();
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.resolve = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener("abort", done, { once: true });
      this.resolve = done;
    });
  }
}

interface Involved {
  /** The workload's own object, its current ReplicaSet, and its pods: their events matter. */
  objects: KubeObject[];
  pods: KubeObject[];
}

/** The pods a workload runs now (a Deployment: those of its current ReplicaSet). */
async function involvedOf(cluster: Cluster, live: KubeObject): Promise<Involved> {
  const namespace = live.metadata.namespace ?? "";
  const uid = str(live.metadata.uid);
  const ownedPods = async (owner: KubeObject, selector: unknown): Promise<KubeObject[]> => {
    const labelSelector = labelSelectorString(selector);
    const pods = await cluster.list("v1", "Pod", {
      namespace,
      ...(labelSelector ? { labelSelector } : {}),
    });
    return pods.filter(
      (pod) => isOwnedBy(pod, str(owner.metadata.uid)) && !pod.metadata.deletionTimestamp,
    );
  };
  // Until the controller has seen the object's newest spec, its status and its current
  // ReplicaSet's revision still describe the previous one: a rollback right after a broken
  // version would otherwise be judged by the broken version's pods.
  const observed = status(live).observedGeneration;
  const generation = live.metadata.generation;
  if (typeof observed === "number" && typeof generation === "number" && observed < generation) {
    return { objects: [live], pods: [] };
  }
  switch (workloadKey(live)) {
    case "|Pod":
      return { objects: [live], pods: [live] };
    case "apps|Deployment": {
      const labelSelector = labelSelectorString(spec(live).selector);
      const replicaSets = await cluster.list("apps/v1", "ReplicaSet", {
        namespace,
        ...(labelSelector ? { labelSelector } : {}),
      });
      const replicaSet = currentReplicaSet(live, replicaSets);
      if (!replicaSet) return { objects: [live], pods: [] };
      return {
        objects: [live, replicaSet],
        pods: await ownedPods(replicaSet, spec(replicaSet).selector),
      };
    }
    default:
      return uid
        ? { objects: [live], pods: await ownedPods(live, spec(live).selector) }
        : { objects: [live], pods: [] };
  }
}

function problemText(problem: PodProblem): string {
  const where = `pod ${problem.pod}${problem.container ? `, container ${problem.container}` : ""}`;
  return `${where}: ${problem.reason}${problem.message ? `: ${problem.message}` : ""}`;
}

async function diagnose(
  cluster: Cluster,
  ref: ObjectRef,
  headline: string,
  involved: Involved,
  problem: PodProblem | undefined,
  logLines: number,
): Promise<string> {
  const lines = [`${describeRef(ref)}: ${headline}`];
  const namespace = ref.namespace ?? "";
  const about = involved.objects.concat(
    problem ? involved.pods.filter((pod) => pod.metadata.name === problem.pod) : [],
  );
  const readWarnings = async (): Promise<string[]> => {
    const events: KubeObject[] = [];
    for (const object of about) {
      try {
        events.push(
          ...(await cluster.events(namespace, {
            uid: str(object.metadata.uid),
            kind: object.kind,
            name: object.metadata.name,
          })),
        );
      } catch {
        // events are a help, not a requirement (listing them needs `list events`)
      }
    }
    return warningLines(events);
  };
  let warnings = await readWarnings();
  if (warnings.length === 0 && problem) {
    // The kubelet records the event right after the status we reacted to: look once more.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    warnings = await readWarnings();
  }
  if (warnings.length > 0)
    lines.push("  recent Warning events:", ...warnings.map((line) => `    ${line}`));
  if (problem?.crashing && problem.container) {
    let log: string | undefined;
    let which = "previous run";
    try {
      log = await cluster.podLogs(namespace, problem.pod, problem.container, {
        tailLines: logLines,
        previous: true,
      });
    } catch {
      try {
        which = "current run";
        log = await cluster.podLogs(namespace, problem.pod, problem.container, {
          tailLines: logLines,
        });
      } catch {
        log = undefined;
      }
    }
    const tail = log === undefined ? [] : tailLines(log, logLines);
    if (tail.length > 0) {
      lines.push(
        `  last ${tail.length} log lines of ${problem.pod}/${problem.container} (${which}):`,
        ...tail.map((line) => `    ${line}`),
      );
    }
  }
  return lines.join("\n");
}

/** Waits for all `refs` to be Current; see the module comment. */
export async function waitForHealth(
  cluster: Cluster,
  refs: readonly ObjectRef[],
  request: WaitRequest,
): Promise<WaitResult> {
  const pollIntervalMs = request.pollIntervalMs ?? 1000;
  const unschedulableAfterMs = request.unschedulableAfterMs ?? 15_000;
  const notReadyAfterMs = request.notReadyAfterMs ?? 60_000;
  const logLines = request.logLines ?? 20;
  const started = Date.now();
  const deadline = started + request.timeoutMs;
  const statuses = new Map<string, ObjectStatus>();
  const logged = new Map<string, string>();
  const firstSeen = new Map<string, number>();
  const waker = new Waker();

  // Watches: one per (kind, namespace) waited on, and pods of namespaces that hold workloads.
  const watchSpecs = new Map<string, { apiVersion: string; kind: string; namespace?: string }>();
  for (const ref of refs) {
    const key = `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ""}`;
    watchSpecs.set(key, {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
    });
    if (WORKLOAD_KINDS.has(workloadKey(ref)) && ref.namespace) {
      watchSpecs.set(`v1|Pod|${ref.namespace}`, {
        apiVersion: "v1",
        kind: "Pod",
        namespace: ref.namespace,
      });
    }
  }
  const watches = new Map<string, WatchHandle | undefined>();
  // A watch that ended with an error (e.g. no `watch` permission) is retried after a pause;
  // the re-reads every pollIntervalMs carry the wait meanwhile.
  const retryAt = new Map<string, number>();
  const openWatches = (): void => {
    for (const [key, watchSpec] of watchSpecs) {
      if (watches.get(key) || (retryAt.get(key) ?? 0) > Date.now()) continue;
      watches.set(
        key,
        cluster.watch(
          watchSpec.apiVersion,
          watchSpec.kind,
          watchSpec.namespace ? { namespace: watchSpec.namespace } : {},
          () => waker.wake(),
          (error) => {
            watches.set(key, undefined);
            if (error) retryAt.set(key, Date.now() + 10_000);
          },
        ),
      );
    }
  };

  try {
    for (;;) {
      if (request.signal.aborted)
        return { status: "canceled", statuses, message: "canceled while waiting for health" };
      openWatches();
      const failures: string[] = [];
      for (const ref of refs) {
        const key = refKey(ref);
        let status: ObjectStatus;
        try {
          const live = await cluster.get(ref);
          status = objectStatus(live);
          if (live && status.health === "InProgress" && WORKLOAD_KINDS.has(workloadKey(ref))) {
            const involved = await involvedOf(cluster, live);
            const now = Date.now();
            let fatal: PodProblem | undefined;
            for (const pod of involved.pods) {
              for (const problem of podProblems(pod)) {
                const seenKey = `${problem.kind}|${problem.pod}|${problem.container ?? ""}`;
                const since = firstSeen.get(seenKey) ?? now;
                firstSeen.set(seenKey, since);
                const limit =
                  problem.kind === "fatal"
                    ? 0
                    : problem.kind === "unschedulable"
                      ? unschedulableAfterMs
                      : notReadyAfterMs;
                if (!fatal && now - since >= limit) fatal = problem;
              }
            }
            if (fatal) {
              const headline = problemText(fatal);
              status = { health: "Failed", message: headline };
              failures.push(await diagnose(cluster, ref, headline, involved, fatal, logLines));
            }
          } else if (live && status.health === "Failed") {
            const involved = WORKLOAD_KINDS.has(workloadKey(ref))
              ? await involvedOf(cluster, live)
              : { objects: [live], pods: [] };
            failures.push(
              await diagnose(cluster, ref, status.message, involved, undefined, logLines),
            );
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (error instanceof ClusterError && (error.status === 401 || error.status === 403)) {
            status = { health: "Unknown", message };
            failures.push(`${describeRef(ref)}: cannot read it to wait for it: ${message}`);
          } else {
            status = { health: "Unknown", message };
          }
        }
        statuses.set(key, status);
        const line = `${describeRef(ref)}: ${status.message}`;
        // A failure is logged once, below, with its whole diagnosis.
        if (status.health !== "Failed" && logged.get(key) !== line) {
          logged.set(key, line);
          request.log(line);
        }
      }
      if (failures.length > 0) {
        const message = failures.join("\n");
        for (const failure of failures) request.log(failure);
        return { status: "failed", statuses, message };
      }
      if ([...statuses.values()].every((status) => status.health === "Current"))
        return { status: "success", statuses };
      const now = Date.now();
      if (now >= deadline) {
        const pending = refs
          .filter((ref) => statuses.get(refKey(ref))?.health !== "Current")
          .map((ref) => `${describeRef(ref)} (${statuses.get(refKey(ref))?.message ?? "unknown"})`);
        const message = `timed out after ${Math.round(request.timeoutMs / 1000)} s; still in progress: ${pending.join(", ")}`;
        request.log(message);
        return { status: "failed", statuses, message };
      }
      await waker.sleep(Math.min(pollIntervalMs, deadline - now), request.signal);
    }
  } finally {
    for (const watch of watches.values()) watch?.stop();
  }
}
