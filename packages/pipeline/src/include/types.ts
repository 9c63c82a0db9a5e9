/**
 * Public types of include resolution. The stage reads files only through the injected
 * `ConfigSource`, parses them with the injected YAML loader and asks the injected rules
 * evaluator about `include:rules`, so it has no dependency on the other stages' modules.
 */
import type { ConfigSource } from "../config-source.js";
import type { Diagnostic } from "../diagnostics.js";

/** What the YAML loader returns (the shape of `yaml/`'s `LoadedYaml`). */
export interface LoadedYamlLike {
  /** The header document (`spec:` ...) when the file has two documents separated by `---`. */
  header?: unknown;
  value: unknown;
  diagnostics: Diagnostic[];
}

export type LoadYaml = (text: string, file: string) => LoadedYamlLike | Promise<LoadedYamlLike>;

/**
 * The project a file belongs to, which its own `include` entries are relative to
 * (docs.gitlab.com/ci/yaml/#includelocal: "evaluated based on the location of the file
 * containing the `include` keyword"); also where `rules:exists` of those entries looks
 * (docs.gitlab.com/ci/yaml/includes/#include-with-rulesexists).
 */
export type FileContext =
  /** The pipeline's project at the pipeline's commit. */
  | { kind: "pipeline" }
  /** Another project (an `include:project` file, or a component's project); `ref` absent: HEAD. */
  | { kind: "project"; project: string; ref?: string }
  /** Remote and template files: "executed without context", no project and no variables. */
  | { kind: "public" };

/**
 * Evaluates `include:rules` (`if`, `exists`, `changes`); `true` includes the file. An `{ error }`
 * is reported as written (GitLab words these `include:rules:rule ...`).
 * `file` names the including file, `path` is the keyword path (`include`).
 */
export type MatchesIncludeRules = (
  rules: unknown,
  file: string,
  path: string,
  context?: FileContext,
) => boolean | { error: string };

/**
 * Expands the CI/CD variables GitLab allows in `include` (project, group, instance, trigger,
 * schedule and manual-run variables, `CI_PROJECT_*`, `CI_PIPELINE_SOURCE`,
 * `CI_PIPELINE_TRIGGERED`, `CI_COMMIT_REF_NAME`; not YAML `variables:`), as documented at
 * docs.gitlab.com/ci/yaml/includes/#use-variables-with-include. Also used by `expand_vars`.
 */
export type ExpandIncludeVariables = (value: string) => string;

export interface IncludeLimits {
  /** Included files per pipeline, nested and duplicates counted (GitLab's `ci_max_includes`: 150). */
  maxIncludes: number;
  /**
   * Nesting depth. GitLab has no separate depth limit (only the 150 total); Conveyor keeps one
   * as a guard for a raised `maxIncludes`.
   */
  maxDepth: number;
  /** Time to resolve every file; GitLab: 30 seconds. */
  timeoutMs?: number;
}

export const DEFAULT_INCLUDE_LIMITS: IncludeLimits = {
  maxIncludes: 150,
  maxDepth: 100,
  timeoutMs: 30_000,
};

export interface IncludeDeps {
  source: ConfigSource;
  load: LoadYaml;
  matchesIncludeRules: MatchesIncludeRules;
  expand: ExpandIncludeVariables;
  limits?: Partial<IncludeLimits>;
  /** Milliseconds clock for `timeoutMs`; without one (the language reads no clock) there is no timeout. */
  now?: () => number;
}

export type IncludeType = "local" | "project" | "remote" | "template" | "component";

export interface IncludedFile {
  type: IncludeType;
  /** As written after variable expansion: path, URL, template name or component address. */
  location: string;
  /** The name diagnostics use for this file (`ci/a.yml`, `group/project:ci/a.yml`, a URL...). */
  file: string;
  /** For `project` files, and local files read from another project's context. */
  project?: string;
  ref?: string;
  /** Names of the including files, from the root down to the one that included this file. */
  chain: string[];
}

export interface ResolvedConfig {
  config: Record<string, unknown>;
  files: IncludedFile[];
  diagnostics: Diagnostic[];
}
