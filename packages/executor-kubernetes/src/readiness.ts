/**
 * Waits until services accept TCP connections, as gitlab-runner's Kubernetes executor does
 * (merge request 4545, https://gitlab.com/gitlab-org/gitlab-runner/-/merge_requests/4545):
 * Kubernetes cannot tell which ports an image exposes, so only a service whose environment sets
 * `HEALTHCHECK_TCP_PORT` is waited for (https://docs.gitlab.com/ci/services/#how-the-health-check-of-services-works).
 * The dial runs in the helper container (busybox `nc`), on the pod's shared localhost, so it
 * works wherever the runner itself runs. A service that does not answer in time gets the Docker
 * executor's `*** WARNING: Service … probably didn't start properly.` block with its logs; the
 * job goes on.
 */
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { serviceWarningLines } from "@conveyor/runner";
import { apiMessage } from "./api-errors.js";
import type { PodExec } from "./exec.js";
import { HELPER_CONTAINER } from "./pod-spec.js";
import { exitedServicesOf, sleep } from "./pod-wait.js";

const RETRY_MS = 200;
const LOG_TAIL_LINES = 50;

/** The services' containers with their health-check port (or why it is unusable). */
export function healthChecks(pod: V1Pod): { container: string; port?: number; error?: string }[] {
  const checks: { container: string; port?: number; error?: string }[] = [];
  for (const container of pod.spec?.containers ?? []) {
    if (!container.name.startsWith("svc-")) continue;
    const value = container.env?.find(
      (e) => e.name.toUpperCase() === "HEALTHCHECK_TCP_PORT",
    )?.value;
    if (value === undefined) continue;
    const port = Number(value);
    if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) {
      checks.push({ container: container.name, error: `invalid health check tcp port: ${value}` });
    } else {
      checks.push({ container: container.name, port });
    }
  }
  return checks;
}

export { serviceWarningLines };

export async function serviceLogs(
  core: CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
): Promise<string> {
  try {
    return await core.readNamespacedPodLog({
      name: pod,
      namespace,
      container,
      tailLines: LOG_TAIL_LINES,
    });
  } catch (error) {
    return `(no logs: ${apiMessage(error)})`;
  }
}

export interface ReadinessContext {
  core: CoreV1Api;
  exec: PodExec;
  namespace: string;
  pod: V1Pod;
  timeoutMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
}

/** Waits for every service with a health-check port; logs a warning block for each that fails. */
export async function waitForServices(context: ReadinessContext): Promise<void> {
  const checks = healthChecks(context.pod);
  if (checks.length === 0 || context.timeoutMs <= 0) return;
  const name = context.pod.metadata!.name!;
  context.log(
    `Waiting for services to be up and running (timeout ${Math.round(context.timeoutMs / 1000)} seconds)...`,
  );
  const results = await Promise.all(
    checks.map(async (check) => ({
      check,
      error: check.error ?? (await dialUntilReady(context, name, check.container, check.port!)),
    })),
  );
  for (const { check, error } of results) {
    if (error === undefined || context.signal.aborted) continue;
    const logs = await serviceLogs(context.core, context.namespace, name, check.container);
    for (const line of serviceWarningLines(check.container, error, logs)) context.log(line);
  }
}

/** Undefined once the port accepts a connection, else why not. */
async function dialUntilReady(
  context: ReadinessContext,
  pod: string,
  container: string,
  port: number,
): Promise<string | undefined> {
  const deadline = Date.now() + context.timeoutMs;
  let last = "";
  for (;;) {
    if (context.signal.aborted) return "the job was canceled";
    const stderr: Buffer[] = [];
    const result = await context.exec.run({
      namespace: context.namespace,
      pod,
      container: HELPER_CONTAINER,
      command: ["nc", "-w", "1", "127.0.0.1", String(port), "-e", "true"],
      stderr: (chunk) => stderr.push(chunk),
      signal: context.signal,
    });
    if (result.exitCode === 0) return undefined;
    last = (result.error ?? Buffer.concat(stderr).toString("utf8")).trim();
    // A service that has ended will not answer: say how it ended instead of waiting it out.
    const ended = await endedService(context, pod, container);
    if (ended !== undefined) return ended;
    if (Date.now() >= deadline) {
      return (
        `service did not accept TCP connections on 127.0.0.1 port ${port} within ` +
        `${Math.round(context.timeoutMs / 1000)} seconds (timeout)${last ? `: ${last}` : ""}`
      );
    }
    await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())), context.signal);
  }
}

/** How the service container ended, when it has (undefined while it runs or cannot be read). */
async function endedService(
  context: ReadinessContext,
  pod: string,
  container: string,
): Promise<string | undefined> {
  try {
    const live = await context.core.readNamespacedPod({ namespace: context.namespace, name: pod });
    return exitedServicesOf(live).find((s) => s.container === container)?.detail;
  } catch {
    return undefined;
  }
}
