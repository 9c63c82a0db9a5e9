import { ExpressionSyntaxError } from "./errors.js";
import { scanRegexLiteral } from "./regex-literal.js";
import type { BinaryOperator, Token } from "./tokens.js";

/**
 * Splits an expression into tokens the way GitLab's `Gitlab::Ci::Pipeline::Expression::Lexer`
 * does: skip whitespace, then take the first lexeme that matches at that point, in GitLab's
 * order. `maxTokens` is the largest number of tokens accepted; GitLab's lexer gives up at its
 * 100th token, so it accepts 99.
 */
export function tokenize(source: string, maxTokens: number): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < source.length && isRubySpace(source[pos]!)) pos += 1;
    if (pos >= source.length) return tokens;
    const token = scanToken(source, pos);
    if (token === undefined) throw unknownLexeme(source, pos);
    tokens.push(token);
    if (tokens.length > maxTokens) {
      throw new ExpressionSyntaxError(
        source,
        pos,
        "too many tokens",
        `an expression may have at most ${maxTokens} tokens (values, operators and parentheses)`,
      );
    }
    pos = token.offset + token.text.length;
  }
}

/** Ruby's `\s`: space, tab, line feed, vertical tab, form feed, carriage return. */
function isRubySpace(char: string): boolean {
  return char === " " || (char >= "\t" && char <= "\r");
}

/** Ruby's `\w`, which is ASCII-only: letters, digits and underscore. */
function isWordChar(char: string | undefined): boolean {
  if (char === undefined) return false;
  return (
    (char >= "a" && char <= "z") ||
    (char >= "A" && char <= "Z") ||
    (char >= "0" && char <= "9") ||
    char === "_"
  );
}

function scanToken(source: string, pos: number): Token | undefined {
  switch (source[pos]) {
    case "(":
      return { kind: "open", offset: pos, text: "(" };
    case ")":
      return { kind: "close", offset: pos, text: ")" };
    case "$":
      return scanInput(source, pos) ?? scanVariable(source, pos);
    case '"':
    case "'":
      return scanString(source, pos);
    case "/": {
      const end = scanRegexLiteral(source, pos);
      return end === undefined
        ? undefined
        : { kind: "regex", offset: pos, text: source.slice(pos, end) };
    }
    case "n":
      return source.startsWith("null", pos)
        ? { kind: "null", offset: pos, text: "null" }
        : undefined;
    case "t":
    case "f":
      return scanBoolean(source, pos);
    default:
      return scanOperator(source, pos);
  }
}

/** `$NAME`, where NAME is one or more of Ruby's `\w` characters. `${NAME}` is not a lexeme. */
function scanVariable(source: string, pos: number): Token | undefined {
  let end = pos + 1;
  while (isWordChar(source[end])) end += 1;
  if (end === pos + 1) return undefined;
  return {
    kind: "variable",
    name: source.slice(pos + 1, end),
    offset: pos,
    text: source.slice(pos, end),
  };
}

/**
 * `$[[ inputs.NAME ]]`, an input reference left in the text (GitLab interpolates inputs before
 * evaluating `rules:if`; `spec:inputs:rules` evaluates them here).
 */
function scanInput(source: string, pos: number): Token | undefined {
  if (!source.startsWith("$[[", pos)) return undefined;
  let end = skipSpace(source, pos + 3);
  if (!source.startsWith("inputs.", end)) return undefined;
  end += "inputs.".length;
  const nameStart = end;
  while (isWordChar(source[end])) end += 1;
  if (end === nameStart) return undefined;
  const name = source.slice(nameStart, end);
  end = skipSpace(source, end);
  if (!source.startsWith("]]", end)) return undefined;
  end += 2;
  return { kind: "input", name, offset: pos, text: source.slice(pos, end) };
}

function skipSpace(source: string, pos: number): number {
  let end = pos;
  while (end < source.length && isRubySpace(source[end]!)) end += 1;
  return end;
}

/**
 * A string in double or single quotes. It ends at the next quote of the same kind; there are
 * no escape sequences (a backslash is an ordinary character) and it cannot span a line break.
 */
function scanString(source: string, pos: number): Token | undefined {
  const quote = source[pos]!;
  for (let end = pos + 1; end < source.length; end += 1) {
    const char = source[end];
    if (char === "\n") return undefined;
    if (char === quote) {
      return {
        kind: "string",
        value: source.slice(pos + 1, end),
        offset: pos,
        text: source.slice(pos, end + 1),
      };
    }
  }
  return undefined;
}

/** `true` or `false` as whole words. */
function scanBoolean(source: string, pos: number): Token | undefined {
  for (const word of ["true", "false"] as const) {
    if (source.startsWith(word, pos) && !isWordChar(source[pos + word.length])) {
      return { kind: "boolean", value: word === "true", offset: pos, text: word };
    }
  }
  return undefined;
}

const OPERATORS: readonly BinaryOperator[] = ["==", "=~", "!=", "!~", "&&", "||"];

function scanOperator(source: string, pos: number): Token | undefined {
  const operator = OPERATORS.find((op) => source.startsWith(op, pos));
  return operator === undefined
    ? undefined
    : { kind: "operator", operator, offset: pos, text: operator };
}

function unknownLexeme(source: string, pos: number): ExpressionSyntaxError {
  const rest = source.slice(pos);
  const preview = rest.length > 24 ? `${rest.slice(0, 24)}…` : rest;
  return new ExpressionSyntaxError(
    source,
    pos,
    `unknown lexeme ${JSON.stringify(preview)}`,
    hintFor(rest),
  );
}

function hintFor(rest: string): string {
  const first = rest[0];
  if (first === "=") return 'a single "=" is not an operator: use "==" to compare or "=~" to match';
  if (first === "!") return 'a "!" must be part of "!=" or "!~"';
  if (first === "&") return 'use "&&" for "and"';
  if (first === "|") return 'use "||" for "or"';
  if (rest.startsWith("${"))
    return "variables in expressions are written $NAME; the braced form is not accepted";
  if (first === "$")
    return 'a "$" must be followed by a variable name made of letters, digits and "_"';
  if (first === '"' || first === "'") {
    return "the string is not closed on this line (strings have no escape sequences)";
  }
  if (first === "/") {
    return "not a valid /regex/ literal: it needs a closing slash, at least two characters between the slashes and no backslash right before the closing slash";
  }
  return "expected $VARIABLE, a quoted string, a /regex/, null, true, false, ==, !=, =~, !~, &&, || or a parenthesis";
}
