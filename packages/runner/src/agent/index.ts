/**
 * The runner agent: a process that registers with a GitLab-compatible server, asks it for jobs
 * and runs them with the runner core (runner-protocol.md). The executor is plugged in by the
 * caller; this package does not depend on any executor.
 */
export {
  type AgentOptions,
  type AgentSummary,
  type AgentTiming,
  type ExecutorFactory,
  runAgent,
} from "./agent.js";
export {
  type ArtifactUpload,
  DEFAULT_RETRY,
  isRetryableStatus,
  type JobRequestParams,
  type JobRequestResult,
  type JobUpdate,
  type PatchTraceResult,
  type RegisterParams,
  type RemoteJobState,
  remoteJobState,
  type RetryPolicy,
  RunnerApiError,
  RunnerClient,
  type RunnerClientOptions,
  type RunnerCredentials,
  type UpdateJobResult,
  type VerifyParams,
} from "./client.js";
export {
  type AgentConfig,
  ConfigError,
  DEFAULT_CHECK_INTERVAL_SECONDS,
  DEFAULT_CONCURRENT,
  DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
  defaultConfigPath,
  type DockerSettings,
  emptyConfig,
  type ExecutorName,
  EXECUTORS,
  type KubernetesResourceSettings,
  type KubernetesSettings,
  type KubernetesVolumeSettings,
  parseAgentConfig,
  type PullPolicyName,
  readAgentConfig,
  readAgentConfigOrEmpty,
  type RunnerEntry,
  serializeAgentConfig,
  type ShellName,
  writeAgentConfig,
} from "./config.js";
export {
  DEFAULT_FINAL_UPDATE_BACKOFF,
  type JobSessionOptions,
  type JobSessionOutcome,
  runJobSession,
  type SessionTiming,
} from "./job-session.js";
export { ServerArtifactStore } from "./job-stores.js";
export { featuresFor, type RunnerInfo, runnerInfo, type RunnerInfoInput } from "./runner-info.js";
export { loadSystemId, newSystemId, systemIdFile } from "./system-id.js";
export { DEFAULT_OUTPUT_LIMIT_BYTES, TraceBuffer } from "./trace-buffer.js";
export {
  DEFAULT_TRACE_TIMING,
  type FlushOutcome,
  TraceSender,
  type TraceSenderOptions,
  type TraceTiming,
} from "./trace-sender.js";
