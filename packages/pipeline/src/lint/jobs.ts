/**
 * Checks GitLab makes on each job's keywords beyond the JSON schema
 * (`Gitlab::Ci::Config::Entry::Jobs`, `Processable`, `Rules::Rule`).
 */
import { isMap } from "../compose/deep-merge.js";
import { isHiddenKey, isJobKey } from "../compose/keywords.js";
import { type Diagnostic, errorAtKey as diagnosticAt } from "../diagnostics.js";
import { isValidExpression } from "../expression/index.js";
import { flattenRules } from "../rules/rules.js";

export function checkJobs(config: Record<string, unknown>, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const visible = Object.keys(config).filter(
    (key) => isJobKey(key) && !isHiddenKey(key) && isMap(config[key]),
  );
  if (visible.length === 0) {
    out.push(diagnosticAt("jobs config should contain at least one visible job", "jobs", config, undefined, file));
  }
  for (const name of visible) {
    const job = config[name] as Record<string, unknown>;
    const path = `jobs:${name}`;
    if (job.script === undefined && job.run === undefined && job.trigger === undefined) {
      out.push(
        diagnosticAt(`${path} config should implement the script:, run:, or trigger: keyword`, path, config, name, file),
      );
    }
    if (job.rules !== undefined && job.rules !== null) {
      const clashing = ["only", "except", "start_in"].filter((key) => job[key] !== undefined && job[key] !== null);
      if (clashing.length > 0) {
        out.push(
          diagnosticAt(`${path} config key may not be used with \`rules\`: ${clashing.join(", ")}`, path, job, clashing[0], file),
        );
      }
      out.push(...checkRuleExpressions(job.rules, `${path}:rules`, file));
    }
    for (const policy of ["only", "except"] as const) {
      const value = job[policy];
      if (isMap(value) && Array.isArray(value.variables)) {
        for (const expr of value.variables) {
          if (!isValidExpression(String(expr))) {
            out.push(diagnosticAt(`${path}:${policy} variables invalid expression syntax`, `${path}:${policy}:variables`, value, "variables", file));
          }
        }
      }
    }
  }
  if (isMap(config.workflow) && config.workflow.rules !== undefined) {
    out.push(...checkRuleExpressions(config.workflow.rules, "workflow:rules", file));
  }
  return out;
}

function checkRuleExpressions(rules: unknown, path: string, file: string): Diagnostic[] {
  return flattenRules(rules)
    .filter((rule) => typeof rule.if === "string" && !isValidExpression(rule.if))
    .map((rule) => diagnosticAt(`${path}:rule if invalid expression syntax`, `${path}:if`, rule, "if", file));
}
