/**
 * `include`: every form GitLab documents (docs.gitlab.com/ci/yaml/#include,
 * docs.gitlab.com/ci/yaml/includes/), CI/CD inputs (docs.gitlab.com/ci/inputs/) and
 * components (docs.gitlab.com/ci/components/), resolved into one merged configuration.
 */
import { Resolver } from "./resolver.js";
import type { IncludeDeps, ResolvedConfig } from "./types.js";

export type { InputRule, InputSpec, InputType } from "./inputs/header.js";
export { type ParsedHeader, parseHeader } from "./inputs/header.js";
export { resolveInputValues } from "./inputs/values.js";
export {
  type ComponentContext,
  type InterpolateOptions,
  type InterpolationOutcome,
  interpolateInputs,
} from "./interpolate.js";
export { posixEscape } from "./interpolation/functions.js";
export { integrityOf } from "./read.js";
export {
  DEFAULT_INCLUDE_LIMITS,
  type ExpandIncludeVariables,
  type FileContext,
  type IncludeDeps,
  type IncludedFile,
  type IncludeLimits,
  type IncludeType,
  type LoadedYamlLike,
  type LoadYaml,
  type MatchesIncludeRules,
  type ResolvedConfig,
} from "./types.js";
export { matchWildcard } from "./wildcard.js";

/**
 * Loads `rootText` (the project's `.gitlab-ci.yml`, named `rootFile`), interpolates its inputs
 * with `rootInputs` (pipeline inputs), and resolves every `include` into one configuration.
 * Never throws for a configuration problem: each one is a diagnostic; `config` then holds what
 * could be merged.
 */
export async function resolveIncludes(
  rootFile: string,
  rootText: string,
  deps: IncludeDeps,
  rootInputs?: Record<string, unknown>,
): Promise<ResolvedConfig> {
  const resolver = new Resolver(deps);
  const config = await resolver.resolveRoot(rootFile, rootText, rootInputs);
  return { config, files: resolver.files, diagnostics: resolver.diagnostics };
}
