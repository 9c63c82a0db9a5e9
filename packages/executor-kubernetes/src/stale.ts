/**
 * Removes pods and Secrets a Conveyor process left in a namespace when it was killed before its
 * cleanup ran (label `conveyor.dev/managed=true`, and the runner's label when given). What is
 * kept, as the Docker executor's `removeStaleResources` keeps it:
 * - objects of a session still alive in this process (the registry);
 * - objects whose owner process on this host is still running (labels owner-host, owner-pid);
 * - objects younger than `olderThanMs`;
 * - objects made on another host (their owner cannot be checked) unless `olderThanMs` is given
 *   and they are older.
 */
import { hostname } from "node:os";
import type { CoreV1Api } from "@kubernetes/client-node";
import { isLeftOver, processAlive, type StaleContext } from "@conveyor/runner";
import { LABELS, labelValue } from "./pod-spec.js";
import { liveKubernetesSessions, type SessionRegistry } from "./registry.js";

export interface StaleRemoval {
  pods: string[];
  secrets: string[];
}

export interface StaleOptions {
  olderThanMs?: number;
  /** Only objects of this runner (label `conveyor.dev/runner`). */
  runnerId?: string;
  registry?: SessionRegistry;
}

export async function removeStaleResources(
  core: CoreV1Api,
  namespace: string,
  options: StaleOptions = {},
): Promise<StaleRemoval> {
  const selector = [`${LABELS.managed}=true`];
  if (options.runnerId) selector.push(`${LABELS.runner}=${labelValue(options.runnerId)}`);
  const labelSelector = selector.join(",");
  const context = {
    now: Date.now(),
    olderThanMs: options.olderThanMs,
    liveSessions: (options.registry ?? liveKubernetesSessions).sessionIds(),
    host: labelValue(hostname()),
    isAlive: processAlive,
  };
  const isStale = (metadata: { labels?: Record<string, string>; creationTimestamp?: Date }) =>
    staleVerdict(metadata.labels ?? {}, createdMs(metadata.creationTimestamp), context);

  const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items
    .filter((pod) => pod.metadata && isStale(pod.metadata))
    .map((pod) => pod.metadata!.name!);
  const secrets = (await core.listNamespacedSecret({ namespace, labelSelector })).items
    .filter((secret) => secret.metadata && isStale(secret.metadata))
    .map((secret) => secret.metadata!.name!);
  await Promise.allSettled([
    ...pods.map((name) => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })),
    ...secrets.map((name) => core.deleteNamespacedSecret({ name, namespace })),
  ]);
  return { pods, secrets };
}

function createdMs(created: Date | string | undefined): number {
  if (created === undefined) return 0;
  const ms = new Date(created).getTime();
  return Number.isNaN(ms) ? 0 : ms;
}

/** Whether one labelled object is stale (pure apart from `isAlive`): see isLeftOver. */
export function staleVerdict(
  labels: Record<string, string>,
  created: number,
  /** `host` is this host as a label value. */
  context: StaleContext,
): boolean {
  return isLeftOver(
    {
      managed: labels[LABELS.managed] === "true",
      session: labels[LABELS.session],
      ownerHost: labels[LABELS.ownerHost],
      ownerPid: labels[LABELS.ownerPid],
      createdMs: created,
    },
    context,
  );
}
