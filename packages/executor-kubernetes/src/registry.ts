/**
 * The Kubernetes sessions alive in this process, so a command can delete every pod they made
 * when it is interrupted (SIGINT, SIGTERM) before the runner reached their cleanup, and so the
 * removal of stale pods spares them.
 */
import { cleanupRegistryOnSignals, SessionRegistry } from "@conveyor/runner";

export { type Cleanable, SessionRegistry } from "@conveyor/runner";

/** The registry KubernetesExecutor uses unless given another. */
export const liveKubernetesSessions = new SessionRegistry();

/** Deletes every live session's pod on the first SIGINT/SIGTERM (see cleanupRegistryOnSignals). */
export function cleanupOnSignals(
  registry: SessionRegistry = liveKubernetesSessions,
  signals?: readonly NodeJS.Signals[],
): () => void {
  return cleanupRegistryOnSignals(registry, signals);
}
