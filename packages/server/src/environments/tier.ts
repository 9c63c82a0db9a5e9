/**
 * The tier GitLab assumes for an environment whose job names none (docs: ci/environments,
 * "Deployment tier of environments", https://docs.gitlab.com/ci/environments/#deployment-tier-of-environments):
 * `production` for names like Production or Live, `staging` for Staging, Model or Demo,
 * `testing` for Test or QC, `development` for Dev, review apps or Trunk, `other` otherwise.
 */

/** The tiers `environment:deployment_tier` and the environments API accept. */
export const TIERS: ReadonlySet<string> = new Set([
  "production",
  "staging",
  "testing",
  "development",
  "other",
]);

/** Looked at in this order: `review/production-fix` is a review app, so development. */
const NAME_HINTS: readonly [RegExp, string][] = [
  [/dev|review|trunk/i, "development"],
  [/test|qc/i, "testing"],
  [/stag|model|demo/i, "staging"],
  [/prod|live/i, "production"],
];

export function tierOfName(name: string): string {
  return NAME_HINTS.find(([hint]) => hint.test(name))?.[1] ?? "other";
}
