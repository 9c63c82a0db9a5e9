/**
 * From `.gitlab-ci.yml` text to a checked, compiled pipeline, in GitLab's order
 * (`Gitlab::Ci::Config#build_config`): load YAML → resolve `include` → `extends` →
 * `!reference` → validate (schema, then GitLab's logical checks) → compile.
 * The only I/O is through the ConfigSource port, during include resolution.
 */

import { type ConfigMap, isMap, setEntry } from "./compose/deep-merge.js";
import { applyExtends } from "./compose/extends.js";
import type { ConfigSource } from "./config-source.js";
import type { Diagnostic } from "./diagnostics.js";
import type { PipelineEvent } from "./event.js";
import { resolveIncludes } from "./include/index.js";
import { checkGraph } from "./lint/graph.js";
import { checkJobs } from "./lint/jobs.js";
import { type CompiledPipeline, compilePipeline } from "./plan/compile.js";
import { type Plan, type PlanOptions, planPipeline, ruleContext } from "./plan/plan.js";
import { expandedScope, pipelineVariables } from "./plan/variables.js";
import { flattenRules, matchRule } from "./rules/rules.js";
import { validateSchema } from "./schema/index.js";
import { expandVariables, predefinedVariables } from "./variables/index.js";
import { copyOrigin } from "./source-map.js";
import { loadYaml, resolveReferences } from "./yaml/index.js";
import { copyKeyClass } from "./yaml/key-classes.js";

export interface LoadOptions {
  /** The root file's name as it appears in diagnostics (`.gitlab-ci.yml`). */
  file: string;
  source: ConfigSource;
  /** The event decides `include:rules` and the variables include paths may use. */
  event: PipelineEvent;
  /** `inputs` for the root file's `spec:inputs` header (pipeline inputs). */
  inputs?: Record<string, unknown>;
}

export interface LoadedPipeline {
  file: string;
  /** The composed configuration (includes merged, extends and references resolved). */
  config: ConfigMap;
  compiled: CompiledPipeline;
  /** Every error and warning; the pipeline is valid when none has severity `error`. */
  diagnostics: Diagnostic[];
}

export async function loadPipeline(text: string, options: LoadOptions): Promise<LoadedPipeline> {
  const { file, event } = options;
  // `include` sees the variables known before the pipeline exists (docs: ci/yaml/includes,
  // "Use variables with include").
  const { lookup } = expandedScope([
    ...predefinedVariables(event, undefined, { phase: "pre-pipeline" }),
    ...pipelineVariables(event),
  ]);
  const context = ruleContext(event, lookup);
  const resolved = await resolveIncludes(
    file,
    text,
    {
      source: options.source,
      load: loadYaml,
      expand: (value: string) => expandVariables(value, lookup),
      matchesIncludeRules: (rules: unknown) => {
        try {
          const rule = matchRule(flattenRules(rules), context);
          return rule !== undefined && rule.when !== "never";
        } catch (error) {
          return { error: error instanceof Error ? error.message : String(error) };
        }
      },
    },
    options.inputs,
  );
  const diagnostics: Diagnostic[] = [...resolved.diagnostics];
  const empty = (): LoadedPipeline => ({
    file,
    config: {},
    compiled: compilePipeline({}, file),
    diagnostics,
  });
  if (hasErrors(diagnostics)) return empty();

  const extended = applyExtends(resolved.config, file);
  diagnostics.push(...extended.diagnostics);
  if (hasErrors(diagnostics)) return empty();

  const referenced = resolveReferences(extended.config, file);
  diagnostics.push(...referenced.diagnostics);
  if (hasErrors(diagnostics)) return empty();

  const config = flattenNestedRules(referenced.value);
  const schemaFindings = await validateSchema(config, file);
  const jobFindings = checkJobs(config, file);
  // The schema and GitLab's own entry checks overlap (a job with no script, `when: never`):
  // one finding is reported once.
  diagnostics.push(...uniqueFindings([...schemaFindings, ...jobFindings]));
  const compiled = compilePipeline(config, file);
  diagnostics.push(...compiled.problems);
  if (!hasErrors(diagnostics)) diagnostics.push(...checkGraph(compiled, file));
  return { file, config, compiled, diagnostics };
}

/** The pipeline for `event`, or the configuration's errors as a pipeline that was not created. */
export function planLoaded(
  loaded: LoadedPipeline,
  event: PipelineEvent,
  options: PlanOptions = {},
): Plan {
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    return {
      created: false,
      reason: errors[0]?.message,
      stages: [],
      jobs: [],
      variables: {},
      errors,
    };
  }
  return planPipeline(loaded.compiled, event, loaded.file, options);
}

/**
 * `rules` may nest arrays (a `!reference` to another job's rules inside a list); GitLab
 * flattens them before validating (`Entry::Rules`), so the schema sees a flat list.
 */
function flattenNestedRules(config: ConfigMap): ConfigMap {
  for (const [key, owner] of Object.entries(config)) {
    if (isMap(owner) && Array.isArray(owner.rules) && owner.rules.some(Array.isArray)) {
      // A copy: the loaded configuration may share this mapping.
      const flat: ConfigMap = {};
      copyOrigin(owner, flat);
      for (const name of Object.keys(owner)) {
        setEntry(flat, name, name === "rules" ? (owner.rules as unknown[]).flat(10) : owner[name]);
        copyKeyClass(owner, flat, name);
      }
      setEntry(config, key, flat);
    }
  }
  return config;
}

function uniqueFindings(found: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return found.filter((d) => {
    const key = `${d.file}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
