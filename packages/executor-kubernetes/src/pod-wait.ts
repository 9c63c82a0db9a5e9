/**
 * Waits for a job's pod to run, as gitlab-runner's `waitForPodRunning` does: the pod is read
 * every poll interval, its phase logged as "Waiting for pod <ns>/<name> to be running, status is
 * Pending" (with the not-ready conditions), until the build and helper containers run. What can
 * no longer get better fails at once, naming the container and the reason, instead of waiting
 * for the poll timeout:
 * - a container waiting with `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull`,
 *   `InvalidImageName`, `CreateContainerConfigError` or `CreateContainerError`
 *   (https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff; kubelet
 *   `pkg/kubelet/images/types.go`, `pkg/kubelet/container/sync_result.go`);
 * - the pod `Unschedulable` (condition `PodScheduled` false,
 *   https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions);
 * - the build or helper container terminated, or the pod `Failed`/`Succeeded`.
 * A service container that terminates is reported for the job log; the job goes on, as it does
 * with the Docker executor. The verdict is a pure function of the pod; the loop is the I/O.
 */
import type { CoreV1Api, V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { ExecutorError } from "@conveyor/runner";
import { apiMessage } from "./api-errors.js";
import { BUILD_CONTAINER, HELPER_CONTAINER } from "./pod-spec.js";

export const FATAL_WAITING_REASONS = [
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
] as const;

export type PodVerdict =
  | { state: "running"; exitedServices: { container: string; detail: string }[] }
  | { state: "failed"; message: string }
  | { state: "pending"; status: string; details: string[] };

function imageOf(pod: V1Pod, container: string): string | undefined {
  return pod.spec?.containers.find((c) => c.name === container)?.image;
}

function terminatedText(status: V1ContainerStatus): string {
  const t = status.state?.terminated;
  if (!t) return "";
  const why = [t.reason, t.message?.trim()].filter(Boolean).join(": ");
  return `exited with code ${t.exitCode}${why ? ` (${why})` : ""}`;
}

/** The service containers that have ended, and how. */
export function exitedServicesOf(pod: V1Pod): { container: string; detail: string }[] {
  const services = (pod.spec?.containers ?? [])
    .map((c) => c.name)
    .filter((c) => c !== BUILD_CONTAINER && c !== HELPER_CONTAINER);
  return (pod.status?.containerStatuses ?? [])
    .filter((s) => services.includes(s.name) && s.state?.terminated)
    .map((s) => ({ container: s.name, detail: terminatedText(s) }));
}

/** What the pod's state means for the job. */
export function podVerdict(pod: V1Pod): PodVerdict {
  const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const status = pod.status ?? {};
  const phase = status.phase ?? "Pending";
  const statuses = status.containerStatuses ?? [];

  for (const container of statuses) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && (FATAL_WAITING_REASONS as readonly string[]).includes(waiting.reason)) {
      const image = imageOf(pod, container.name) ?? container.image;
      return {
        state: "failed",
        message:
          `pod ${name}: container "${container.name}" (image ${image}) cannot start: ` +
          `${waiting.reason}${waiting.message ? `: ${waiting.message.trim()}` : ""}`,
      };
    }
  }
  const scheduled = status.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return {
      state: "failed",
      message: `pod ${name} cannot be scheduled: ${scheduled.message?.trim() || "Unschedulable"}`,
    };
  }
  for (const container of statuses) {
    if (
      (container.name === BUILD_CONTAINER || container.name === HELPER_CONTAINER) &&
      container.state?.terminated
    ) {
      const hint =
        container.name === BUILD_CONTAINER
          ? '; the job image\'s entrypoint must run the command it is given, or be overridden with image:entrypoint: [""]'
          : "";
      return {
        state: "failed",
        message: `pod ${name}: container "${container.name}" ${terminatedText(container)} before the job started${hint}`,
      };
    }
  }
  if (phase === "Failed" || phase === "Succeeded") {
    const why = [status.reason, status.message?.trim()].filter(Boolean).join(": ");
    return { state: "failed", message: `pod ${name} ended (${phase}${why ? `: ${why}` : ""})` };
  }

  const running = (container: string) =>
    statuses.some((s) => s.name === container && s.state?.running !== undefined);
  if (phase === "Running" && running(BUILD_CONTAINER) && running(HELPER_CONTAINER)) {
    const services = (pod.spec?.containers ?? [])
      .map((c) => c.name)
      .filter((c) => c !== BUILD_CONTAINER && c !== HELPER_CONTAINER);
    const settled = services.every((service) =>
      statuses.some(
        (s) => s.name === service && (s.state?.running !== undefined || s.state?.terminated),
      ),
    );
    if (settled) return { state: "running", exitedServices: exitedServicesOf(pod) };
  }
  const details = (status.conditions ?? [])
    .filter((c) => c.status !== "True" && (c.reason || c.message))
    .map((c) => `\t${c.reason ?? c.type}: ${JSON.stringify(c.message ?? "")}`);
  return { state: "pending", status: phase, details: [...new Set(details)] };
}

export interface WaitOptions {
  pollIntervalMs: number;
  pollTimeoutMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
  /** Milliseconds between two progress lines with the same status. */
  logEveryMs?: number;
}

/** Polls until the pod runs; throws ExecutorError when it cannot, or on timeout or abort. */
export async function waitForPodRunning(
  core: CoreV1Api,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<Extract<PodVerdict, { state: "running" }>> {
  const started = Date.now();
  const logEvery = options.logEveryMs ?? 3_000;
  let lastLine = "";
  let lastLogged = 0;
  let last: PodVerdict | undefined;
  for (;;) {
    if (options.signal.aborted) throw new ExecutorError("the job was canceled while preparing");
    let pod: V1Pod;
    try {
      pod = await core.readNamespacedPod({ name, namespace });
    } catch (error) {
      throw new ExecutorError(`reading pod ${namespace}/${name} failed: ${apiMessage(error)}`);
    }
    last = podVerdict(pod);
    if (last.state === "running") return last;
    if (last.state === "failed") throw new ExecutorError(last.message);
    const line = `Waiting for pod ${namespace}/${name} to be running, status is ${last.status}`;
    const now = Date.now();
    if (line !== lastLine || now - lastLogged >= logEvery) {
      options.log(line);
      for (const detail of last.details) options.log(detail);
      lastLine = line;
      lastLogged = now;
    }
    if (now - started >= options.pollTimeoutMs) {
      throw new ExecutorError(
        `timed out after ${Math.round(options.pollTimeoutMs / 1000)} seconds waiting for pod ` +
          `${namespace}/${name} to be running (poll_timeout); status is ${last.status}` +
          (last.details.length > 0 ? `\n${last.details.join("\n")}` : ""),
      );
    }
    await sleep(options.pollIntervalMs, options.signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve();
    }
    signal?.addEventListener("abort", finish, { once: true });
  });
}
