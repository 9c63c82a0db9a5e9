/**
 * A service container's variables, for every container executor: the job's public variables
 * (`PublicOrInternal`: `.gitlab-ci.yml` and predefined ones, never project secrets), file
 * variables left out, followed by the service's own `services:variables`, the whole list
 * expanded once against itself (`Variables.Expand`, raw job variables kept as written), the last
 * entry of a key winning. gitlab-runner `executors/docker/executor_docker.go` and
 * `executors/kubernetes/kubernetes.go`;
 * https://docs.gitlab.com/ci/services/#available-settings-for-services. Pure.
 */
import type { JobService, JobVariable } from "@conveyor/protocol";
import { expandValue, runnerLookup } from "./expand.js";

/** `[key, value]` pairs in order, each key once. */
export function serviceVariables(
  variables: readonly JobVariable[],
  service: Pick<JobService, "variables">,
): [string, string][] {
  const entries = [
    ...variables.filter((v) => v.public && !v.file).map((v) => ({ ...v, raw: v.raw === true })),
    ...(service.variables ?? []).map((v) => ({ key: v.key, value: v.value, raw: false })),
  ];
  const known = new Map<string, string>();
  for (const entry of entries) known.set(entry.key, entry.value);
  const lookup = runnerLookup((name) => known.get(name));
  const expanded = new Map<string, string>();
  for (const entry of entries) {
    expanded.delete(entry.key);
    expanded.set(entry.key, entry.raw ? entry.value : expandValue(entry.value, lookup));
  }
  return [...expanded];
}
