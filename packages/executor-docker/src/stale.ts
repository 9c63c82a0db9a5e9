/**
 * Removes containers and networks a Conveyor process left behind when it was killed before its
 * cleanup ran (label `com.conveyor.managed=true`). What is kept:
 * - resources of a session still alive in this process (the registry);
 * - resources whose owner process on this host is still running (labels owner-host, owner-pid);
 * - resources younger than `olderThanMs`;
 * - resources made on another host (their owner cannot be checked) unless `olderThanMs` is given
 *   and they are older.
 */
import { hostname } from "node:os";
import { isLeftOver, processAlive, type StaleContext } from "@conveyor/runner";
import type Docker from "dockerode";
import { LABELS } from "./convert.js";
import { EngineApi, type ResourceSummary } from "./engine-api.js";
import { liveDockerSessions, type SessionRegistry } from "./registry.js";

export interface StaleRemoval {
  containers: string[];
  networks: string[];
}

export async function removeStaleResources(
  docker: Docker,
  olderThanMs?: number,
  registry: SessionRegistry = liveDockerSessions,
): Promise<StaleRemoval> {
  const api = new EngineApi(docker);
  const managed = [`${LABELS.managed}=true`];
  const now = Date.now();
  const live = registry.sessionIds();
  const host = hostname();
  const isStale = (resource: ResourceSummary) =>
    staleVerdict(resource, { now, olderThanMs, liveSessions: live, host, isAlive: processAlive });

  const containers = (await api.listContainers(managed)).filter(isStale).map((c) => c.id);
  await Promise.allSettled(containers.map((id) => api.removeContainer(id)));
  const networks = (await api.listNetworks(managed)).filter(isStale).map((n) => n.id);
  const removed: string[] = [];
  await Promise.allSettled(
    networks.map(async (id) => {
      await api.removeNetwork(id);
      removed.push(id);
    }),
  );
  return { containers, networks: removed };
}

/** Whether one labelled resource is stale (pure apart from `isAlive`): see isLeftOver. */
export function staleVerdict(resource: ResourceSummary, context: StaleContext): boolean {
  const labels = resource.labels;
  return isLeftOver(
    {
      managed: labels[LABELS.managed] === "true",
      session: labels[LABELS.session],
      ownerHost: labels[LABELS.ownerHost],
      ownerPid: labels[LABELS.ownerPid],
      createdMs: resource.createdMs,
    },
    context,
  );
}
