/**
 * The Docker sessions alive in this process, so a command can remove every container and network
 * they made when it is interrupted (SIGINT, SIGTERM) before the runner reached their cleanup.
 */
import { cleanupRegistryOnSignals, SessionRegistry } from "@conveyor/runner";

export { type Cleanable, SessionRegistry } from "@conveyor/runner";

/** The registry DockerExecutor uses unless given another. */
export const liveDockerSessions = new SessionRegistry();

/** Cleans up every live Docker session on the first SIGINT/SIGTERM (see cleanupRegistryOnSignals). */
export function cleanupOnSignals(
  registry: SessionRegistry = liveDockerSessions,
  signals?: readonly NodeJS.Signals[],
): () => void {
  return cleanupRegistryOnSignals(registry, signals);
}
