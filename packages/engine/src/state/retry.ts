/**
 * Automatic retry of a failed job: the `retry` keyword (`2`, or `{max, when, exit_codes}`) and
 * GitLab's rule for using it. A failure is retried while fewer than `max` retries were made and
 * its failure reason is in `retry:when` (default `always`) or its exit code is in
 * `retry:exit_codes`; with `exit_codes` and no `when`, only the exit codes count. Some failure
 * reasons are never retried, and `scheduler_failure` is retried twice even without `retry`.
 * Sources: lib/gitlab/ci/build/auto_retry.rb; https://docs.gitlab.com/ci/yaml/#retry
 * ("retried up to 2 times if the exit code is 137 or if it had a runner system failure").
 */
import { isMap } from "@conveyor/pipeline";

export interface RetryPolicy {
  /** `retry:max` (or the integer form); `undefined` when not given. */
  max?: number;
  /** `retry:when`; `undefined` when not given. */
  when?: string[];
  /** `retry:exit_codes`; `undefined` when not given. */
  exitCodes?: number[];
}

/** Failure reasons GitLab never retries, whatever `retry` says (`RETRY_OVERRIDES`). */
const NEVER_RETRIED = new Set([
  "ci_quota_exceeded",
  "no_matching_runner",
  "missing_dependency_failure",
  "forward_deployment_failure",
  "environment_creation_failure",
]);

/** Retries GitLab makes without `retry` (`DEFAULT_RETRIES`). */
const DEFAULT_RETRIES: Record<string, number> = { scheduler_failure: 2 };

/** Reads the job's `retry` keyword; an absent or unreadable value is an empty policy. */
export function parseRetry(value: unknown): RetryPolicy {
  if (typeof value === "number") return { max: value };
  if (!isMap(value)) return {};
  const policy: RetryPolicy = {};
  const max = Number(value.max);
  if (value.max !== undefined && value.max !== null && Number.isInteger(max)) policy.max = max;
  if (value.when !== undefined && value.when !== null) policy.when = listOf(value.when).map(String);
  if (value.exit_codes !== undefined && value.exit_codes !== null)
    policy.exitCodes = listOf(value.exit_codes).map(Number);
  return policy;
}

export interface Failure {
  reason: string;
  exitCode?: number;
}

/** True when a job that failed this way, after `retriesSoFar` retries, is retried again. */
export function shouldRetry(policy: RetryPolicy, failure: Failure, retriesSoFar: number): boolean {
  const max = maxRetries(policy, failure);
  return max > 0 && max > retriesSoFar;
}

function maxRetries(policy: RetryPolicy, failure: Failure): number {
  if (NEVER_RETRIED.has(failure.reason)) return 0;
  const when = policy.when ?? (policy.exitCodes === undefined ? ["always"] : []);
  const onReason = when.includes("always") || when.includes(failure.reason);
  const onExitCode =
    failure.exitCode !== undefined && (policy.exitCodes ?? []).includes(failure.exitCode);
  if ((onReason || onExitCode) && policy.max !== undefined) return policy.max;
  return DEFAULT_RETRIES[failure.reason] ?? 0;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}
