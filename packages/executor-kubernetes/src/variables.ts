/**
 * Environment lists for the pod's containers.
 *
 * The build container gets the job's public variables only (`.gitlab-ci.yml` and predefined
 * ones): a pod's spec is readable by anyone who may read pods in the namespace, and every step's
 * script exports all of the job's variables itself, so secrets never need to be in the spec. A
 * service gets the job's public variables followed by its own `services:variables`, the whole
 * list expanded once, so a service variable may refer to job variables (gitlab-runner
 * `executors/kubernetes/kubernetes.go` uses `PublicOrInternal` variables for services;
 * https://docs.gitlab.com/ci/services/#available-settings-for-services). Pure.
 */
import type { V1EnvVar } from "@kubernetes/client-node";
import type { JobService, JobVariable } from "@conveyor/protocol";
import { serviceVariables } from "@conveyor/runner";

/** The build container's environment: public, non-file job variables, the last one of a key. */
export function buildEnvironment(variables: readonly JobVariable[]): V1EnvVar[] {
  const env = new Map<string, string>();
  for (const v of variables) {
    if (!v.public || v.file) continue;
    env.delete(v.key);
    env.set(v.key, v.value);
  }
  return [...env].map(([name, value]) => ({ name, value }));
}

/** One service's environment: public job variables, then the service's own, expanded once. */
export function serviceEnvironment(
  variables: readonly JobVariable[],
  service: Pick<JobService, "variables">,
): V1EnvVar[] {
  return serviceVariables(variables, service).map(([name, value]) => ({ name, value }));
}
