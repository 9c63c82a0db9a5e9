/**
 * The error thrown for an expression GitLab would reject. GitLab's linter reports these as
 * `<path>:rules:rule if invalid expression syntax`; the caller adds that prefix and may append
 * `message`, which says what is wrong and where.
 */
export class ExpressionSyntaxError extends Error {
  /** The expression text as given. */
  readonly source: string;
  /** 0-based index into `source` (UTF-16 code units) of the offending text. */
  readonly offset: number;
  /** 1-based column of the offending text: `offset + 1`. */
  readonly column: number;
  /** What is wrong, without the position, e.g. `unknown lexeme "="`. */
  readonly reason: string;
  /** How to fix it or why GitLab rejects it, when there is something useful to say. */
  readonly hint: string | undefined;

  constructor(source: string, offset: number, reason: string, hint?: string) {
    super(`${reason} at column ${offset + 1}${hint === undefined ? "" : `: ${hint}`}`);
    this.name = "ExpressionSyntaxError";
    this.source = source;
    this.offset = offset;
    this.column = offset + 1;
    this.reason = reason;
    this.hint = hint;
  }
}
