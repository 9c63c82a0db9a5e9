/**
 * From the fully composed configuration (includes merged, `extends` and `!reference` resolved)
 * to the job definitions the planner works on: `default:`/`inherit:` applied, stage and
 * variables settled, parallel instances named. Pure; no event is needed yet.
 */
import { type ConfigMap, isMap } from "../compose/deep-merge.js";
import { applyDefaults, effectiveDefaults } from "../compose/inherit.js";
import { isJobKey } from "../compose/keywords.js";
import { DEFAULT_JOB_STAGE, pipelineStages } from "../compose/stages.js";
import type { Diagnostic, SourcePosition } from "../diagnostics.js";
import { positionAtPath, positionOf } from "../source-map.js";
import { parseYamlVariables, type Variable } from "../variables/index.js";
import { expandParallel, type JobInstance } from "./parallel.js";

export interface CompiledJob {
  /** The job's key in the YAML. */
  name: string;
  /** The job's keywords after `default:` and `inherit:` were applied. */
  definition: ConfigMap;
  stage: string;
  /** The job's own `variables:` (unexpanded, as written); globals are added when planning. */
  ownVariables: Variable[];
  instances: JobInstance[];
  /** Where the job's name is written. */
  position?: SourcePosition;
}

export interface CompiledPipeline {
  stages: string[];
  variables: Variable[];
  workflow: ConfigMap | undefined;
  /** `workflow:rules` exist: jobs then get no default `only`. */
  hasWorkflowRules: boolean;
  jobs: CompiledJob[];
  /** Problems GitLab reports while reading `variables:` blocks. */
  problems: Diagnostic[];
}

export function compilePipeline(config: ConfigMap, file = ".gitlab-ci.yml"): CompiledPipeline {
  const defaults = effectiveDefaults(config);
  const problems: Diagnostic[] = [];
  const readVariables = (
    block: unknown,
    path: string[],
    label: string,
    scope: "global" | "job",
  ) => {
    const parsed = parseYamlVariables(block, label, { scope });
    for (const problem of parsed.problems) {
      const at = positionAtPath(config, path);
      problems.push({
        severity: "error",
        message: problem.message,
        path: problem.path,
        file: at?.file ?? file,
        ...(at ? { line: at.line, column: at.column } : {}),
      });
    }
    return parsed.variables;
  };
  const globals = readVariables(config.variables, ["variables"], "variables", "global");
  const jobs: CompiledJob[] = [];
  for (const [name, value] of Object.entries(config)) {
    if (!isJobKey(name) || !isMap(value)) continue;
    const definition = applyDefaults(value, defaults);
    const position = positionOf(config, name);
    const stage = typeof value.stage === "string" ? value.stage : DEFAULT_JOB_STAGE;
    const ownVariables = readVariables(
      value.variables,
      [name, "variables"],
      `jobs:${name}:variables`,
      "job",
    );
    const instances = expandParallel(name, value.parallel);
    // Two literals rather than a spread: a thousand jobs are compiled at every start.
    jobs.push(
      position
        ? { position, name, definition, stage, ownVariables, instances }
        : { name, definition, stage, ownVariables, instances },
    );
  }
  return {
    stages: pipelineStages(config.stages),
    variables: globals,
    workflow: isMap(config.workflow) ? config.workflow : undefined,
    hasWorkflowRules:
      isMap(config.workflow) &&
      config.workflow.rules !== undefined &&
      config.workflow.rules !== null,
    jobs,
    problems,
  };
}
