/**
 * @conveyor/executor-docker: runs jobs in containers through the Docker Engine API, as
 * gitlab-runner's docker executor does (image, services, per-job network, /builds from the host).
 */
export { DockerExecutor } from "./executor.js";
export type { DockerExecutorOptions } from "./options.js";
export { DockerSession } from "./session.js";
export {
  SessionRegistry,
  liveDockerSessions,
  cleanupOnSignals,
  type Cleanable,
} from "./registry.js";
export { removeStaleResources, type StaleRemoval } from "./stale.js";
export { LABELS } from "./convert.js";
export {
  defaultServiceAliases,
  parseImageReference,
  splitAliases,
  type ImageReference,
} from "./image-ref.js";
