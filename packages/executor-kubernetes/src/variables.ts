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

interface EnvEntry {
  key: string;
  value: string;
  raw: boolean;
}

/** One service's environment: public job variables, then the service's own, expanded once. */
export function serviceEnvironment(
  variables: readonly JobVariable[],
  service: Pick<JobService, "variables">,
): V1EnvVar[] {
  const entries: EnvEntry[] = [
    ...variables.filter((v) => v.public && !v.file).map((v) => ({ ...v, raw: v.raw === true })),
    ...(service.variables ?? []).map((v) => ({ key: v.key, value: v.value, raw: false })),
  ];
  const lookup = new Map<string, string>();
  for (const entry of entries) lookup.set(entry.key, entry.value);
  const expanded = new Map<string, string>();
  for (const entry of entries) {
    const value = entry.raw ? entry.value : expandOnce(entry.value, (name) => lookup.get(name));
    expanded.delete(entry.key);
    expanded.set(entry.key, value);
  }
  return [...expanded].map(([name, value]) => ({ name, value }));
}

/** `$NAME` and `${NAME}` replaced once (unknown names become empty); `$$` is a literal `$`. */
export function expandOnce(value: string, lookup: (name: string) => string | undefined): string {
  return value.replace(
    /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      if (whole === "$$") return "$";
      return lookup((braced ?? bare)!) ?? "";
    },
  );
}
