/**
 * CI/CD inputs for one file (docs.gitlab.com/ci/inputs/): the header's `spec:inputs` declares
 * them, `include:inputs` (or pipeline inputs, for the root file) gives values, and every
 * `$[[ inputs.name | function ]]` of the body is replaced after the YAML is parsed.
 * Follows Gitlab::Ci::Config::Interpolation::Interpolator: a file without a header is used as
 * written, and giving inputs to such a file is an error.
 */
import { isMap } from "../compose/deep-merge.js";
import { type Diagnostic, errorAt, type SourcePosition } from "../diagnostics.js";
import { positionAtPath } from "../source-map.js";
import { type InputSpec, parseHeader } from "./inputs/header.js";
import { resolveInputValues } from "./inputs/values.js";
import { interpolateTemplate } from "./interpolation/template.js";

/** What `$[[ component.* ]]` can read in a component template (docs.gitlab.com/ci/yaml/#speccomponent). */
export interface ComponentContext {
  name?: string | null;
  sha?: string | null;
  version?: string | null;
  reference?: string | null;
}

export interface InterpolateOptions {
  /** Expands variables for `expand_vars`; absent: values stay as written. */
  expand?: (value: string) => string;
  component?: ComponentContext;
  /** Input definitions read from `spec:include` files, in order (resolved by `resolveIncludes`). */
  includedInputs?: InputSpec[];
  /** Where errors about the given input values are reported (an `include` entry). */
  inputsAt?: { file: string; position?: SourcePosition };
  /** Put before each message, e.g. "`ci/a.yml`: ". */
  prefix?: string;
  /** Put after each message, e.g. " (included from .gitlab-ci.yml)". */
  suffix?: string;
  /**
   * The file's text. When nothing in it can become `$[[` (see mayHoldBlock), a file without a
   * header is not searched for one: the search walks every value of every file.
   */
  text?: string;
}

export interface InterpolationOutcome {
  value: unknown;
  diagnostics: Diagnostic[];
}

const ANY_BLOCK = /\$\[\[\s*(?!matrix\.)\S/;

/**
 * What in a file's text may give a value that holds `$[[`: the characters themselves, or what
 * YAML turns into other characters: a double-quoted escape by code (`\x24`, `\u005B`,
 * `\U…`), a double-quoted line joined to the next by a `\` at its end, and a `!!binary` value
 * (base64). Folding only ever puts a space or a line break between lines, and aliases and
 * merges copy values the text already has.
 */
const MAY_MAKE_BLOCK = /\$\[\[|\\[xuU]|\\\r?\n|binary/;

/** Whether a value read from `text` may hold `$[[` (false: it cannot). */
export function mayHoldBlock(text: string): boolean {
  return MAY_MAKE_BLOCK.test(text);
}

function mentionsBlock(value: unknown): boolean {
  if (typeof value === "string") return value.includes("$[[") && ANY_BLOCK.test(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (mentionsBlock(value[index])) return true;
    }
    return false;
  }
  if (isMap(value)) {
    // Every file goes through here: a walk that allocates nothing.
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (mentionsBlock(key) || mentionsBlock(value[key])) return true;
    }
  }
  return false;
}

/**
 * Interpolates `value` (a file's body) with `inputs` against `header` (the file's header document,
 * `{ spec: { inputs: ... } }`, or `undefined` when the file has none).
 */
export function interpolateInputs(
  value: unknown,
  header: unknown,
  inputs: Record<string, unknown> | undefined,
  file: string,
  options: InterpolateOptions = {},
): InterpolationOutcome {
  const prefix = options.prefix ?? "";
  const suffix = options.suffix ?? "";
  const diagnostics: Diagnostic[] = [];
  const inputsFile = options.inputsAt?.file ?? file;
  const inputsError = (message: string, where?: SourcePosition) =>
    diagnostics.push(
      errorAt(
        `${prefix}${message}${suffix}`,
        "inputs",
        options.inputsAt?.position ?? where,
        inputsFile,
      ),
    );
  const given = inputs ?? {};
  if (!isMap(given)) {
    inputsError("Given inputs must be a hash");
    return { value, diagnostics };
  }
  if (header === undefined || header === null) {
    if (Object.keys(given).length > 0) {
      inputsError(
        "Given inputs not defined in the `spec` section of the included configuration file",
      );
    } else if ((options.text === undefined || mayHoldBlock(options.text)) && mentionsBlock(value)) {
      diagnostics.push({
        severity: "warning",
        message: `${prefix}\`$[[ ]]\` interpolation is left as written: the file has no \`spec:\` header${suffix}`,
        file,
        path: "",
      });
    }
    return { value, diagnostics };
  }
  const parsed = parseHeader(header);
  for (const issue of parsed.errors) {
    diagnostics.push(
      errorAt(
        `${prefix}${issue.message}${suffix}`,
        "spec",
        positionAtPath(header, issue.path),
        file,
      ),
    );
  }
  if (parsed.errors.length > 0) return { value, diagnostics };

  const included = options.includedInputs ?? [];
  const inline = new Set(parsed.spec.inputs.map((spec) => spec.name));
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const spec of included) {
    if (seen.has(spec.name) || inline.has(spec.name)) duplicates.add(spec.name);
    seen.add(spec.name);
  }
  const specsAt = positionAtPath(header, ["spec", "inputs"]);
  if (duplicates.size > 0) {
    diagnostics.push(
      errorAt(
        `${prefix}Duplicate input keys found: ${[...duplicates].join(", ")}. Input keys must be unique across all included files and inline specifications.${suffix}`,
        "spec:include",
        positionAtPath(header, ["spec", "include"]),
        file,
      ),
    );
    return { value, diagnostics };
  }
  const specs = [...included, ...parsed.spec.inputs];
  const resolved = resolveInputValues(specs, given);
  for (const error of resolved.errors) {
    const own = error.input !== undefined && inline.has(error.input);
    inputsError(
      error.message,
      own ? positionAtPath(header, ["spec", "inputs", error.input as string]) : specsAt,
    );
  }
  if (resolved.errors.length > 0) return { value, diagnostics };

  const component: Record<string, unknown> = {};
  for (const key of parsed.spec.component) {
    component[key] = options.component?.[key as keyof ComponentContext] ?? null;
  }
  const result = interpolateTemplate(
    value,
    { inputs: resolved.values, component },
    { expand: options.expand },
  );
  const reported = new Set<string>();
  for (const error of result.errors) {
    const key = `${error.message}@${error.path.join(":")}`;
    if (reported.has(key)) continue;
    reported.add(key);
    diagnostics.push(
      errorAt(
        `${prefix}${error.message}${suffix}`,
        error.path.join(":"),
        positionAtPath(value, error.path),
        file,
      ),
    );
  }
  if (result.errors.length > 0) return { value, diagnostics };
  return { value: result.value, diagnostics };
}
