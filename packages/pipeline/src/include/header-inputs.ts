/**
 * `spec:include`: input definitions kept in other files (docs.gitlab.com/ci/yaml/#specinclude,
 * docs.gitlab.com/ci/inputs/#use-inputs-from-external-files). Only `local`, `remote` and
 * `project` are allowed; each file holds nothing but `inputs:`; files are read in order.
 * Not available in CI/CD components.
 */
import { isMap } from "../compose/deep-merge.js";
import type { ConfigSource } from "../config-source.js";
import type { Diagnostic } from "../diagnostics.js";
import { errorAt } from "../diagnostics.js";
import { positionAtPath } from "../source-map.js";
import { type HeaderIssue, type InputSpec, parseInputDefinitions } from "./inputs/header.js";
import { checkEntry, includeEntries, matchLocation, normalizeString } from "./locations.js";
import { contextError, readLocation } from "./read.js";
import type { FileContext, LoadYaml } from "./types.js";

const HEADER_SUBKEYS = ["local", "project", "remote"];

export interface HeaderInputsRequest {
  header: unknown;
  /** The file whose header this is, as diagnostics name it. */
  file: string;
  context: FileContext;
  isComponent: boolean;
  /** Appended to messages (the include chain). */
  suffix: string;
}

/** The input definitions of a header's `spec:include` files; `undefined` when one failed. */
export async function headerIncludedInputs(
  request: HeaderInputsRequest,
  source: ConfigSource,
  load: LoadYaml,
  diagnostics: Diagnostic[],
): Promise<InputSpec[] | undefined> {
  const { header, file, suffix } = request;
  const spec = isMap(header) ? header.spec : undefined;
  if (!isMap(spec) || spec.include === undefined || spec.include === null) return [];
  const at = positionAtPath(header, ["spec", "include"]);
  const fail = (message: string) => {
    diagnostics.push(errorAt(`${message}${suffix}`, "spec:include", at, file));
    return undefined;
  };
  if (request.isComponent) return fail("header:spec:include cannot be used in CI/CD components");
  const entries = includeEntries(spec.include);
  if (!entries.ok) return fail(`header:spec:${entries.message}`);
  const specs: InputSpec[] = [];
  for (const entry of entries.value) {
    const problem = checkEntry(entry);
    if (problem) return fail(`header:spec:${problem}`);
    const params = typeof entry.value === "string" ? normalizeString(entry.value) : entry.value;
    if (!Object.keys(params).some((key) => HEADER_SUBKEYS.includes(key))) {
      return fail(
        `\`${JSON.stringify(params)}\` does not have a valid subkey for include. Valid subkeys are: \`${HEADER_SUBKEYS.join("`, `")}\``,
      );
    }
    const matched = matchLocation(entry, params);
    if (!matched.ok) return fail(matched.message);
    const location = matched.value;
    const refused = contextError(location, request.context);
    if (refused) return fail(refused);
    const read = await readLocation(source, location, request.context);
    if (!read.ok) return fail(read.message);
    const loaded = await load(read.text, location.location);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.diagnostics.some((d) => d.severity === "error")) return undefined;
    if (!isMap(loaded.value)) return fail(`\`${location.location}\`: Invalid configuration format`);
    const extra = Object.keys(loaded.value).filter((key) => key !== "inputs");
    if (extra.length > 0) {
      return fail(
        `Header include file \`${location.location}\` contains unknown keys: [${extra.map((key) => `:${key}`).join(", ")}]`,
      );
    }
    const issues: HeaderIssue[] = [];
    const parsed = parseInputDefinitions(loaded.value.inputs, issues, ["inputs"]);
    for (const issue of issues) {
      diagnostics.push(
        errorAt(
          `${issue.message}${suffix}`,
          "inputs",
          positionAtPath(loaded.value, issue.path),
          location.location,
        ),
      );
    }
    if (issues.length > 0) return undefined;
    specs.push(...parsed);
  }
  return specs;
}
