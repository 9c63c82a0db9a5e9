/**
 * Environment lists for the containers the executor creates.
 *
 * GitLab facts (gitlab-runner `executors/docker/executor_docker.go`): the job container gets the
 * job's variables as its environment; a service gets the job's public variables
 * (`PublicOrInternal`: `.gitlab-ci.yml` and predefined ones, never project secrets) followed by its
 * own `services:variables`, the whole list expanded once (`Variables.Expand`), so a service
 * variable may refer to job variables (https://docs.gitlab.com/ci/services/#available-settings-for-services).
 */
import type { JobService, JobVariable } from "@conveyor/protocol";
import { serviceVariables } from "@conveyor/runner";

/** `KEY=value` for the job container: every job variable except file variables (the script writes those). */
export function jobEnvironment(variables: readonly JobVariable[]): string[] {
  return variables.filter((v) => !v.file).map((v) => `${v.key}=${v.value}`);
}

/** `KEY=value` for one service: public job variables, then the service's own, expanded. */
export function serviceEnvironment(
  variables: readonly JobVariable[],
  service: Pick<JobService, "variables">,
): string[] {
  return serviceVariables(variables, service).map(([key, value]) => `${key}=${value}`);
}
