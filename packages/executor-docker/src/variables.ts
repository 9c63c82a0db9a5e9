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

/** `KEY=value` for the job container: every job variable except file variables (the script writes those). */
export function jobEnvironment(variables: readonly JobVariable[]): string[] {
  return variables.filter((v) => !v.file).map((v) => `${v.key}=${v.value}`);
}

interface EnvEntry {
  key: string;
  value: string;
  raw: boolean;
}

/** `KEY=value` for one service: public job variables, then the service's own, expanded. */
export function serviceEnvironment(
  variables: readonly JobVariable[],
  service: Pick<JobService, "variables">,
): string[] {
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
  return [...expanded].map(([key, value]) => `${key}=${value}`);
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
