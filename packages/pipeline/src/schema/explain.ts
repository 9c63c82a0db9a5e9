/**
 * The findings for a configuration the schema refuses, worded as GitLab's backend words them.
 * Loaded on use (`import()` in index.ts): the validator that explains errors is large, and a
 * valid configuration never needs it.
 */
import validate from "../../schema/ci-explainer.js";
import type { Diagnostic } from "../diagnostics.js";
import { collapseErrors } from "./collapse.js";
import { describeErrors } from "./describe.js";

/** Diagnostics for every way `config` breaks the schema; none when it conforms. */
export function explainSchemaErrors(config: unknown, file: string): Diagnostic[] {
  if (validate(config)) return [];
  const errors = collapseErrors(validate.errors ?? [], config);
  return describeErrors(errors, config, file);
}
