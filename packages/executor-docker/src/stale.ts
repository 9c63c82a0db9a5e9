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

/** Whether one labelled resource is stale (pure apart from `isAlive`). */
export function staleVerdict(
  resource: ResourceSummary,
  context: {
    now: number;
    olderThanMs: number | undefined;
    liveSessions: ReadonlySet<string>;
    host: string;
    isAlive: (pid: number) => boolean;
  },
): boolean {
  const labels = resource.labels;
  if (labels[LABELS.managed] !== "true") return false;
  const session = labels[LABELS.session];
  if (session !== undefined && context.liveSessions.has(session)) return false;
  const age = context.now - resource.createdMs;
  if (labels[LABELS.ownerHost] !== context.host) {
    return context.olderThanMs !== undefined && age >= context.olderThanMs;
  }
  const pid = Number(labels[LABELS.ownerPid]);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && context.isAlive(pid)) return false;
  return age >= (context.olderThanMs ?? 0);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
