/**
 * GitLab's CI/CD expression language: what `rules:if`, `workflow:rules:if`, `include:rules:if`
 * and `only/except:variables` evaluate.
 * https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions
 */
import type { ExpressionNode } from "./ast.js";
import { ExpressionSyntaxError } from "./errors.js";
import { evaluateNode } from "./evaluator.js";
import { tokenize } from "./lexer.js";
import { parseTokens } from "./parser.js";
import { compileSlashPattern } from "./regex.js";
import { isPresent } from "./values.js";

export type { ExpressionNode } from "./ast.js";
export { ExpressionSyntaxError } from "./errors.js";

/** The value of a CI/CD variable, or `undefined` when it is not defined. */
export type VariableLookup = (name: string) => string | undefined;

/** The value of a `$[[ inputs.NAME ]]` reference that was left for evaluation. */
export type InputLookup = (name: string) => string | number | boolean | undefined;

export interface Expression {
  readonly source: string;
  readonly root: ExpressionNode;
}

/** GitLab's lexer stops at its 100th token, so an expression has at most 99. */
export const MAX_EXPRESSION_TOKENS = 99;

/**
 * Conveyor's own cap on the length of an expression, in UTF-16 code units. GitLab has no such
 * cap (only the token limit), so it is generous: it bounds the work one expression can cause.
 */
export const MAX_EXPRESSION_LENGTH = 65_536;

export interface ParseOptions {
  /** Defaults to `MAX_EXPRESSION_TOKENS`, GitLab's limit. */
  readonly maxTokens?: number;
  /** Defaults to `MAX_EXPRESSION_LENGTH`. */
  readonly maxLength?: number;
}

export interface EvaluateOptions {
  /** Resolves `$[[ inputs.NAME ]]`; without it such references evaluate to null, as in GitLab. */
  readonly inputs?: InputLookup;
}

/** Parses an expression; throws `ExpressionSyntaxError` where GitLab reports invalid syntax. */
export function parseExpression(source: string, options: ParseOptions = {}): Expression {
  const maxLength = options.maxLength ?? MAX_EXPRESSION_LENGTH;
  if (source.length > maxLength) {
    throw new ExpressionSyntaxError(
      source,
      maxLength,
      "the expression is too long",
      `it has ${source.length} characters and the limit is ${maxLength}`,
    );
  }
  const tokens = tokenize(source, options.maxTokens ?? MAX_EXPRESSION_TOKENS);
  return Object.freeze({ source, root: parseTokens(source, tokens) });
}

/**
 * Whether the expression holds for these variables, as GitLab's `Statement#truthful?` decides:
 * the result must be present (not null, false, empty or only whitespace). Like `truthful?`, a
 * string that does not parse is simply false; report syntax errors with `parseExpression` or
 * `isValidExpression`. Evaluation reads nothing but `lookup` and `options.inputs`.
 */
/**
 * Parsed expressions by source: every job of a pipeline tends to repeat the same few `if`s, and
 * a parse costs more than an evaluation. Expressions are immutable, so sharing is safe; the
 * cache is cleared when it grows past a bound. `undefined` stands for "does not parse".
 */
const parsed = new Map<string, ExpressionNode | undefined>();
const PARSED_CACHE_LIMIT = 10_000;

function parsedRoot(source: string): ExpressionNode | undefined {
  if (parsed.has(source)) return parsed.get(source);
  let root: ExpressionNode | undefined;
  try {
    root = parseExpression(source).root;
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    root = undefined;
  }
  if (parsed.size >= PARSED_CACHE_LIMIT) parsed.clear();
  parsed.set(source, root);
  return root;
}

export function evaluateExpression(
  expr: Expression | string,
  lookup: VariableLookup,
  options: EvaluateOptions = {},
): boolean {
  const root = typeof expr === "string" ? parsedRoot(expr) : expr.root;
  if (root === undefined) return false;
  const inputs = options.inputs;
  const value = evaluateNode(root, {
    variable: lookup,
    input: (name) => (inputs === undefined ? undefined : inputs(name)),
  });
  return isPresent(value);
}

/**
 * Whether `literal` is a `/pattern/flags` regular expression that matches somewhere in `text`,
 * compiled as GitLab compiles such literals (`UntrustedRegexp::RubySyntax`, RE2), for example for
 * `only:refs`. False when the literal is not of that form or RE2 rejects it.
 */
export function matchesRegexLiteral(literal: string, text: string): boolean {
  const compiled = compileSlashPattern(literal);
  return compiled.ok && compiled.pattern.test(text);
}

/** Whether GitLab accepts the expression's syntax (`Statement#valid?`). */
export function isValidExpression(source: string): boolean {
  return parsedRoot(source) !== undefined;
}
