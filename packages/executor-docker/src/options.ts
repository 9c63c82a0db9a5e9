/**
 * What a DockerExecutor can be configured with: the settings gitlab-runner keeps in
 * `[runners.docker]` of config.toml (https://docs.gitlab.com/runner/configuration/advanced-configuration/#the-runnersdocker-section),
 * named for this executor, with their defaults.
 */
import type Docker from "dockerode";
import type { PullPolicy } from "@conveyor/protocol";
import type { SessionRegistry } from "./registry.js";

export interface DockerExecutorOptions {
  /** Engine client; default `new Docker()` (DOCKER_HOST, else /var/run/docker.sock). */
  docker?: Docker;
  /** Image for jobs without `image:` (gitlab-runner's `image`). Without one such jobs fail. */
  defaultImage?: string;
  /**
   * Pull policies for images whose job gives none (gitlab-runner's `pull_policy`); tried in order,
   * the next one when a pull fails. Default `["if-not-present"]`.
   */
  pullPolicy?: PullPolicy[];
  /**
   * Extra mounts for the job and its services (gitlab-runner's `volumes`): `host:container[:ro|rw]`
   * binds a host path, a lone `/container/path` is an anonymous volume removed with the job.
   */
  volumes?: string[];
  /** Run the job container privileged (gitlab-runner's `privileged`). Default false. */
  privileged?: boolean;
  /** Run service containers privileged; default the value of `privileged`. */
  servicesPrivileged?: boolean;
  /** User of the job container; wins over `image:docker:user` as the runner's config does. */
  user?: string;
  /**
   * How long prepare waits for each service's exposed TCP ports (gitlab-runner's
   * `wait_for_services_timeout`). Default 30 000 ms; 0 or less skips the wait.
   */
  waitForServicesTimeoutMs?: number;
  /** Bound for starting the job container once to learn its shell. Default 60 000 ms. */
  shellDetectionTimeoutMs?: number;
  /** Extra labels on every container and network created. */
  labels?: Record<string, string>;
  /** Where live sessions are kept for `cleanupAll()`; default the module's `liveDockerSessions`. */
  registry?: SessionRegistry;
}

export const DEFAULT_PULL_POLICY: readonly PullPolicy[] = ["if-not-present"];
export const DEFAULT_WAIT_FOR_SERVICES_MS = 30_000;
export const DEFAULT_SHELL_DETECTION_MS = 60_000;
/** The job's directory inside every container (gitlab-runner's default `builds_dir`). */
export const JOB_BUILDS_DIR = "/builds";
