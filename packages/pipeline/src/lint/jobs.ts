/**
 * Checks GitLab makes on each job's keywords beyond the JSON schema
 * (`Gitlab::Ci::Config::Entry::Jobs`, `Processable`, `Rules::Rule`).
 */
import { isMap } from "../compose/deep-merge.js";
import {
  DEPRECATED_GLOBAL_DEFAULTS,
  isHiddenKey,
  isJobKey,
  JOB_WHEN,
} from "../compose/keywords.js";

/** The `when` values a job may have (`never` is for rules only). */

import { type Diagnostic, errorAtKey as diagnosticAt } from "../diagnostics.js";
import { isValidExpression } from "../expression/index.js";
import { flattenRules } from "../rules/rules.js";
import { unmatchedJobMessage } from "../schema/index.js";

export function checkJobs(config: Record<string, unknown>, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const visible = Object.keys(config).filter(
    (key) => isJobKey(key) && !isHiddenKey(key) && isMap(config[key]),
  );
  if (visible.length === 0) {
    out.push(
      diagnosticAt(
        "jobs config should contain at least one visible job",
        "jobs",
        config,
        undefined,
        file,
      ),
    );
  }
  for (const name of visible) {
    const job = config[name] as Record<string, unknown>;
    const path = `jobs:${name}`;
    if (job.script === undefined && job.run === undefined && job.trigger === undefined) {
      out.push(diagnosticAt(unmatchedJobMessage(name), path, config, name, file));
    }
    if (typeof job.when === "string" && !(JOB_WHEN as readonly string[]).includes(job.when)) {
      out.push(
        diagnosticAt(
          `${path} when should be one of: ${JOB_WHEN.join(", ")}`,
          `${path}:when`,
          job,
          "when",
          file,
        ),
      );
    }
    if (Array.isArray(job.needs) && Array.isArray(job.dependencies)) {
      const needed = new Set(
        job.needs.map((need) => (isMap(need) ? String(need.job) : String(need))),
      );
      job.dependencies.forEach((dependency, i) => {
        if (!needed.has(String(dependency))) {
          out.push(
            diagnosticAt(
              `${path} dependencies the ${dependency} should be part of needs`,
              `${path}:dependencies`,
              job.dependencies,
              i,
              file,
            ),
          );
        }
      });
    }
    if (job.rules !== undefined && job.rules !== null) {
      const clashing = ["only", "except", "start_in"].filter(
        (key) => job[key] !== undefined && job[key] !== null,
      );
      if (clashing.length > 0) {
        out.push(
          diagnosticAt(
            `${path} config key may not be used with \`rules\`: ${clashing.join(", ")}`,
            path,
            job,
            clashing[0],
            file,
          ),
        );
      }
      out.push(...checkRuleExpressions(job.rules, `${path}:rules`, file));
    }
    for (const policy of ["only", "except"] as const) {
      const value = job[policy];
      if (isMap(value) && Array.isArray(value.variables)) {
        for (const expr of value.variables) {
          if (!isValidExpression(String(expr))) {
            out.push(
              diagnosticAt(
                `${path}:${policy} variables invalid expression syntax`,
                `${path}:${policy}:variables`,
                value,
                "variables",
                file,
              ),
            );
          }
        }
      }
    }
  }
  for (const key of DEPRECATED_GLOBAL_DEFAULTS) {
    if (config[key] !== undefined && isMap(config.default) && config.default[key] !== undefined) {
      out.push(
        diagnosticAt(
          `${key} is defined in top-level and \`default:\` entry`,
          key,
          config,
          key,
          file,
        ),
      );
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
    .map((rule) =>
      diagnosticAt(`${path}:rule if invalid expression syntax`, `${path}:if`, rule, "if", file),
    );
}
