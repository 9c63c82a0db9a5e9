/**
 * Putting a job's variables in GitLab's order of precedence.
 *
 * Documented order, highest first ("CI/CD variable precedence",
 * https://docs.gitlab.com/ci/variables/#cicd-variable-precedence): pipeline execution policy,
 * scan execution policy, pipeline variables (trigger, schedule, manual run, API, downstream,
 * manual job), project, group, instance, dotenv reports, job YAML variables, default (top-level)
 * YAML variables, deployment variables, predefined variables.
 *
 * Within that, the order follows GitLab's code (`Gitlab::Ci::Variables::Builder#scoped_variables`
 * and `Ci::Build#base_variables`), which the documentation summarises: `GITLAB_USER_*` are
 * appended after the YAML variables; pipeline variables come before schedule variables and
 * manual job variables last; variables of a persisted job (`CI_PIPELINE_ID`, `CI_JOB_ID`, …)
 * come before everything, and `CI_ENVIRONMENT_SLUG` after everything but the policies.
 */
import { VariableSet } from "./collection.js";
import type { Variable, VariableSource } from "./types.js";

/** Every source, lowest precedence first. */
export const PRECEDENCE: readonly VariableSource[] = [
  "predefined-runtime",
  "predefined",
  "deployment",
  "yaml-global",
  "workflow-rules",
  "yaml-job",
  "matrix",
  "rules",
  "predefined-user",
  "dotenv",
  "instance",
  "group",
  "project",
  "pipeline",
  "trigger",
  "schedule",
  "manual",
  "predefined-environment",
  "scan-execution-policy",
  "pipeline-execution-policy",
];

/**
 * The YAML sources, which GitLab merges into one `yaml_variables` list before anything else
 * sees them: a key keeps the position where it first appeared and takes the last value
 * (`Gitlab::Ci::Variables::Helpers.merge_variables`), so a job's `A: "$A-x"` does not see the
 * top-level `A`, only the lower layers.
 */
const YAML_SOURCES: ReadonlySet<VariableSource> = new Set<VariableSource>([
  "yaml-global",
  "workflow-rules",
  "yaml-job",
  "matrix",
  "rules",
]);

/** Sources whose protected variables only protected refs get. */
const SETTINGS_SOURCES: ReadonlySet<VariableSource> = new Set<VariableSource>([
  "instance",
  "group",
  "project",
]);

const RANK = new Map(PRECEDENCE.map((source, index) => [source, index]));

/** True for the YAML sources, which `mergeByPrecedence` merges into one list. */
export function isYamlSource(source: VariableSource): boolean {
  return YAML_SOURCES.has(source);
}

/** Rank of a source in `PRECEDENCE` (higher wins). */
export function precedenceOf(source: VariableSource): number {
  return RANK.get(source) ?? -1;
}

export interface MergeOptions {
  /**
   * Whether the pipeline runs for a protected branch or tag. When `false`, instance, group and
   * project variables marked `protected` are left out, as GitLab does. Default: keep them all.
   */
  protectedRef?: boolean;
}

/**
 * A job's variables, from any number of sources in any order, as GitLab's collection for the
 * job: ordered lowest precedence first, duplicates kept (the last one wins a lookup; earlier
 * ones explain what was overridden), the YAML layers merged into one list. Within one source
 * the given order is kept. Pass the result to `sortAndExpandAll` to resolve references.
 */
export function mergeByPrecedence(
  variables: Iterable<Variable>,
  options: MergeOptions = {},
): VariableSet {
  const bySource = new Map<VariableSource, Variable[]>();
  for (const variable of variables) {
    if (
      options.protectedRef === false &&
      variable.protected &&
      SETTINGS_SOURCES.has(variable.source)
    ) {
      continue;
    }
    const list = bySource.get(variable.source);
    if (list) list.push(variable);
    else bySource.set(variable.source, [variable]);
  }

  const ordered: Variable[] = [];
  const yaml = new Map<string, Variable>();
  let yamlPlaced = false;
  for (const source of PRECEDENCE) {
    const list = bySource.get(source) ?? [];
    if (YAML_SOURCES.has(source)) {
      for (const variable of list) yaml.set(variable.key, variable);
      continue;
    }
    if (!yamlPlaced && precedenceOf(source) > precedenceOf("rules")) {
      ordered.push(...yaml.values());
      yamlPlaced = true;
    }
    ordered.push(...list);
  }
  return new VariableSet(ordered);
}

/**
 * GitLab's `merge_variables` for YAML variable lists: keys keep the position of their first
 * appearance and take the last value. Use it to combine top-level, workflow-rule, job, matrix
 * and rule variables when the merged list itself is wanted.
 */
export function mergeVariableLists(...lists: ReadonlyArray<Iterable<Variable>>): Variable[] {
  const merged = new Map<string, Variable>();
  for (const list of lists) for (const variable of list) merged.set(variable.key, variable);
  return [...merged.values()];
}

/**
 * The top-level variables a job inherits under `inherit:variables`: all (`true`, the default),
 * none (`false`), or only the listed names.
 */
export function inheritVariables(
  globals: readonly Variable[],
  inherit: boolean | readonly string[] = true,
): Variable[] {
  if (inherit === true) return [...globals];
  if (inherit === false) return [];
  const names = new Set(inherit);
  return globals.filter((variable) => names.has(variable.key));
}
