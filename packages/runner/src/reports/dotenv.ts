/**
 * The `artifacts:reports:dotenv` file as GitLab reads it (app/services/ci/parse_dotenv_artifact_service.rb,
 * app/models/concerns/ci/has_variable.rb):
 * - the stored file must be smaller than the size limit (default 5 KB; GitLab checks the size of
 *   the uploaded artifact, which the runner sends gzip-compressed);
 * - every line is `KEY=VALUE`, split at the first `=`, both sides stripped of surrounding
 *   whitespace; a line without `=` — including an empty line — is "Invalid Format"; there are
 *   no comments, quotes are kept as part of the value, `${VAR}` is not expanded;
 * - a later line for the same key replaces the earlier value;
 * - at most `dotenv_variables` distinct keys (default 20 on GitLab Self-Managed; 50/100/150 on
 *   GitLab.com Free/Premium/Ultimate);
 * - a key must be present, at most 255 characters, and made of ASCII letters, digits and `_`.
 * One problem rejects the whole file: GitLab then stores no variable and reports one error.
 * Docs: https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsdotenv
 */

export interface DotenvOptions {
  /** `dotenv_variables` plan limit (default 20). */
  maxVariables?: number;
  /** `dotenv_size` plan limit in bytes (default 5120); the file must be strictly smaller. */
  maxBytes?: number;
  /**
   * The size GitLab compares with `maxBytes`: the stored artifact's size (gzip-compressed when
   * uploaded by the runner). Defaults to the UTF-8 byte length of `text`.
   */
  size?: number;
}

export interface DotenvResult {
  /** The variables in first-appearance order (empty when there is an error). */
  variables: { key: string; value: string }[];
  /** GitLab's error message (at most one), empty on success. */
  errors: string[];
}

export const DOTENV_MAX_VARIABLES = 20;
export const DOTENV_MAX_BYTES = 5 * 1024;

/** Ruby's String#strip: NUL, tab, LF, VT, FF, CR and space at either end. */
function rubyStrip(s: string): string {
  const space = (c: string | undefined) => c !== undefined && " \t\n\v\f\r\0".includes(c);
  let start = 0;
  let end = s.length;
  while (start < end && space(s[start])) start++;
  while (end > start && space(s[end - 1])) end--;
  return s.slice(start, end);
}

/** Lines as Ruby's each_line yields them, without the trailing newline. */
function lines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) {
      out.push(text.slice(start));
      break;
    }
    out.push(text.slice(start, nl));
    start = nl + 1;
  }
  return out;
}

function keyErrors(key: string): string[] {
  const errors: string[] = [];
  if (/^\s*$/u.test(key)) errors.push("Key can't be blank");
  if ([...key].length > 255) errors.push("Key is too long (maximum is 255 characters)");
  if (!/^[a-zA-Z0-9_]+$/.test(key)) errors.push("Key can contain only letters, digits and '_'.");
  return errors;
}

/**
 * Parses a dotenv report. `input` is the text, or the report's blobs (the runner's gzip format
 * holds one member per matched file; `gunzipMembers` splits them) which GitLab reads one after
 * the other.
 */
export function parseDotenv(
  input: string | Uint8Array | (string | Uint8Array)[],
  options: DotenvOptions = {},
): DotenvResult {
  const maxVariables = options.maxVariables ?? DOTENV_MAX_VARIABLES;
  const maxBytes = options.maxBytes ?? DOTENV_MAX_BYTES;
  const blobs = Array.isArray(input) ? input : [input];
  const size =
    options.size ??
    blobs.reduce(
      (n, b) => n + (typeof b === "string" ? Buffer.byteLength(b, "utf8") : b.length),
      0,
    );
  const fail = (error: string): DotenvResult => ({ variables: [], errors: [error] });
  if (!(size < maxBytes))
    return fail(`Dotenv Artifact Too Big. Maximum Allowable Size: ${maxBytes}`);

  const variables = new Map<string, string>();
  for (const blob of blobs) {
    let text = typeof blob === "string" ? blob : new TextDecoder("utf-8").decode(blob);
    if (text.startsWith("\uFEFF")) text = text.slice(1);
    for (const line of lines(text)) {
      const eq = line.indexOf("=");
      if (eq < 0) return fail("Invalid Format");
      variables.set(rubyStrip(line.slice(0, eq)), rubyStrip(line.slice(eq + 1)));
    }
  }
  if (variables.size > maxVariables) {
    return fail(`Dotenv files cannot have more than ${maxVariables} variables`);
  }
  for (const key of variables.keys()) {
    const errors = keyErrors(key);
    if (errors.length > 0) return fail(`Validation failed: ${errors.join(", ")}`);
  }
  return { variables: [...variables].map(([key, value]) => ({ key, value })), errors: [] };
}
