/**
 * `only`/`except` (deprecated in favour of `rules`, still honoured by GitLab):
 * a job is included when every policy under `only` holds and no policy under `except` holds.
 * Docs: https://docs.gitlab.com/ci/yaml/deprecated_keywords/#only--except
 */
import { isMap } from "../compose/deep-merge.js";
import type { PipelineEvent } from "../event.js";
import { evaluateExpression, matchesRegexLiteral } from "../expression/index.js";
import type { RuleContext } from "./context.js";
import { changesSatisfied, stringList } from "./rules.js";

export interface Policy {
  refs?: string[];
  variables?: string[];
  changes?: unknown;
  kubernetes?: string;
}

/** GitLab's default when a job has neither `rules` nor `only`: branches and tags. */
export const DEFAULT_ONLY: Policy = { refs: ["branches", "tags"] };

export function toPolicy(value: unknown): Policy | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) || typeof value === "string") return { refs: stringList(value) };
  if (!isMap(value)) return undefined;
  const policy: Policy = {};
  if (value.refs !== undefined) policy.refs = stringList(value.refs);
  if (value.variables !== undefined) policy.variables = stringList(value.variables);
  if (value.changes !== undefined) policy.changes = value.changes;
  if (typeof value.kubernetes === "string") policy.kubernetes = value.kubernetes;
  return policy;
}

/**
 * `only` without `refs` (just `variables` or `changes`) still gets the default refs; a job with
 * neither `only` nor `except` gets the default `only` unless `workflow:rules` exist, which drop
 * the defaults (GitLab's `Entry::Processable#compose!`).
 */
export function isIncludedByPolicies(
  only: Policy | undefined,
  except: Policy | undefined,
  event: PipelineEvent,
  context: RuleContext,
  hasWorkflowRules = false,
): boolean {
  const defaulted =
    only === undefined && except === undefined && hasWorkflowRules
      ? undefined
      : (only ?? DEFAULT_ONLY);
  const onlyPolicy =
    defaulted && defaulted.refs === undefined
      ? { ...defaulted, refs: DEFAULT_ONLY.refs }
      : defaulted;
  if (onlyPolicy && !everyClause(onlyPolicy, event, context)) return false;
  return !(except && anyClause(except, event, context));
}

function clauses(policy: Policy, event: PipelineEvent, context: RuleContext): boolean[] {
  const results: boolean[] = [];
  if (policy.refs) results.push(policy.refs.some((pattern) => refMatches(pattern, event)));
  if (policy.variables) {
    results.push(policy.variables.some((expr) => evaluateExpression(expr, context.lookup)));
  }
  if (policy.changes !== undefined) results.push(changesSatisfied(policy.changes, context));
  // Conveyor has no certificate-based Kubernetes integration: `kubernetes: active` never holds.
  if (policy.kubernetes !== undefined) results.push(false);
  return results;
}

function everyClause(policy: Policy, event: PipelineEvent, context: RuleContext): boolean {
  return clauses(policy, event, context).every(Boolean);
}

function anyClause(policy: Policy, event: PipelineEvent, context: RuleContext): boolean {
  return clauses(policy, event, context).some(Boolean);
}

/** The ref a pipeline runs for, as GitLab names it (`refs/merge-requests/1/head` for MRs). */
export function pipelineRef(event: PipelineEvent): string {
  if (event.source === "merge_request_event" && event.mergeRequest) {
    return `refs/merge-requests/${event.mergeRequest.iid}/head`;
  }
  return event.ref.name;
}

/** One `only:refs` pattern, as `Gitlab::Ci::Build::Policy::Refs` matches it. */
export function refMatches(entry: string, event: PipelineEvent): boolean {
  const at = entry.indexOf("@");
  const pattern = at >= 0 && !entry.startsWith("/") ? entry.slice(0, at) : entry;
  const project = at >= 0 && !entry.startsWith("/") ? entry.slice(at + 1) : undefined;
  if (project !== undefined && project !== event.project.path) return false;

  const isMergeRequest = event.source === "merge_request_event";
  if (pattern === "tags") return event.ref.kind === "tag" && !isMergeRequest;
  if (pattern === "branches") return event.ref.kind === "branch" && !isMergeRequest;
  if (pattern === "merge_requests") return isMergeRequest;
  if (pattern === "external_pull_requests") return event.source === "external_pull_request_event";
  if (pattern === event.source || pattern === pluralize(event.source)) return true;
  if (pattern.length >= 2 && pattern.startsWith("/") && /\/[a-z]*$/.test(pattern)) {
    return matchesRegexLiteral(pattern, pipelineRef(event));
  }
  return pattern === pipelineRef(event);
}

function pluralize(source: string): string {
  return source === "push" ? "pushes" : `${source}s`;
}
