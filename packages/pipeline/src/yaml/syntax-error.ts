/**
 * Syntax errors. GitLab shows Psych's message, e.g. "(<unknown>): did not find expected key
 * while parsing a block mapping at line 3 column 1", whose position is often where the
 * enclosing mapping starts. The `yaml` library reports where the problem is; for the common
 * mistakes the message uses libyaml's words, otherwise the library's own.
 */
import type { YAMLError } from "yaml";

const BY_CODE: Partial<Record<YAMLError["code"], string>> = {
  BLOCK_AS_IMPLICIT_KEY: "mapping values are not allowed in this context",
  MULTILINE_IMPLICIT_KEY: "mapping values are not allowed in this context",
  KEY_OVER_1024_CHARS: "mapping values are not allowed in this context",
  TAB_AS_INDENT: "found character that cannot start any token",
  BAD_SCALAR_START: "found character that cannot start any token",
  BAD_DQ_ESCAPE: "found unknown escape character while parsing a quoted scalar",
};

const BY_MESSAGE: Array<[RegExp, string]> = [
  [/^Missing closing .?quote/, "found unexpected end of stream while scanning a quoted scalar"],
  [
    /^Flow sequence must end with a \]/,
    "did not find expected ',' or ']' while parsing a flow sequence",
  ],
  [/^Flow map must end with a \}/, "did not find expected ',' or '}' while parsing a flow mapping"],
  [
    /^Implicit map keys need to be followed by map values/,
    "could not find expected ':' while scanning a simple key",
  ],
  [
    /^All mapping items must start at the same column/,
    "did not find expected key while parsing a block mapping",
  ],
  [
    /^All sequence items must start at the same column/,
    "did not find expected '-' indicator while parsing a block collection",
  ],
];

/** The problem part of the message (the caller appends the position). */
export function syntaxProblem(error: YAMLError): string {
  const first = error.message.split("\n")[0] ?? error.message;
  const byCode = BY_CODE[error.code];
  if (byCode) return byCode;
  for (const [pattern, words] of BY_MESSAGE) if (pattern.test(first)) return words;
  return first.replace(/ at line \d+, column \d+:?$/, "");
}
