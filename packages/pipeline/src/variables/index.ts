/**
 * CI/CD variables: GitLab's predefined variables for a pipeline event, the slugs, reading
 * `variables:` blocks, precedence between sources, and GitLab-side expansion.
 * Everything here is pure: no clock, no randomness, no I/O.
 *
 * A job's variables, the way GitLab assembles them:
 *
 *     const yaml = parseYamlVariables(config.variables, "variables").variables;
 *     const job = parseYamlVariables(jobConfig.variables, `jobs:${name}:variables`).variables;
 *     const set = mergeByPrecedence(
 *       [...predefinedVariables(event, { name, stage }), ...inheritVariables(yaml, inherit),
 *        ...job, ...settingsVariables, ...pipelineVariables],
 *       { protectedRef: event.ref.protected === true },
 *     );
 *     const { variables, error } = sortAndExpandAll(set); // error: a reference cycle
 *     expandVariables("review/$CI_COMMIT_REF_SLUG", variables.lookup);
 *
 * `rules:if` reads `variables.value(name)`; GitLab-side keywords (`environment:name`, `include`,
 * `tags`, `trigger:project`, …) use `expandVariables`. Reference:
 * https://docs.gitlab.com/ci/variables/where_variables_can_be_used/
 */
export { VariableSet } from "./collection.js";
export { commitDescription, commitTitle, NO_COMMIT_MESSAGE } from "./commit-message.js";
export {
  type ExpandOptions,
  expandVariables,
  type LookupResult,
  mayReferenceVariables,
  recordLookup,
  VariableExpansionError,
  type VariableLookup,
} from "./expand.js";
export {
  inheritVariables,
  type MergeOptions,
  mergeByPrecedence,
  mergeVariableLists,
  PRECEDENCE,
  precedenceOf,
} from "./precedence.js";
export {
  type JobEnvironment,
  type JobInfo,
  type PredefinedOptions,
  type PredefinedPhase,
  jobPredefinedVariables,
  predefinedVariables,
} from "./predefined.js";
export { MAX_MERGE_REQUEST_DESCRIPTION } from "./predefined-merge-request.js";
export { BLANK_SHA, MAX_COMMIT_MESSAGE_BYTES } from "./predefined-pipeline.js";
export { environmentSlug, environmentSlugSuffix, slugify } from "./slug.js";
export {
  jobVariableError,
  RUNNER_EXPANSION,
  type SortAndExpandOptions,
  type SortAndExpandResult,
  sortAndExpandAll,
  variableReferences,
} from "./sort-expand.js";
export { type Availability, isPredefined, type Variable, type VariableSource } from "./types.js";
export {
  type ParsedYamlVariables,
  type ParseYamlVariablesOptions,
  parseYamlVariables,
  type ScalarFormat,
  UNKNOWN_VARIABLE_FORM,
  type VariableProblem,
  type YamlDefinedVariable,
  type YamlVariablesScope,
  yamlScalarToString,
} from "./yaml.js";
