/**
 * Validation against GitLab's own JSON schema for `.gitlab-ci.yml` (packages/pipeline/schema/
 * ci.json, see NOTICE there), with findings worded as GitLab's backend words them.
 *
 * The schema is compiled at build time (scripts/build-schema.mjs) into modules beside it:
 * compiling it at run time would cost ~350 ms of every `conveyor` start. A fast validator
 * (conforms.ts) decides; only a configuration it refuses loads the one that explains every
 * error.
 */
import type { Diagnostic } from "../diagnostics.js";

export { unmatchedJobMessage } from "./messages.js";

/**
 * Diagnostics for every way `config` breaks the schema; none when it conforms.
 *
 * `config` is a whole pipeline document as loaded (a mapping of keywords and jobs). Positions
 * come from the source map when the loader registered the config's objects; `file` names the
 * file otherwise.
 */
export async function validateSchema(config: unknown, file: string): Promise<Diagnostic[]> {
  // Loaded on first use: a command that does not validate should not pay for loading it.
  const { conforms } = await import("../../schema/ci-validator.js");
  if (conforms(config)) return [];
  const { explainSchemaErrors } = await import("./explain.js");
  return explainSchemaErrors(config, file);
}
