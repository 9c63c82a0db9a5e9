import type { BinaryNode, ExpressionNode } from "./ast.js";
import { compileSlashPattern } from "./regex.js";
import { isRegexValue, isRubyTruthy, toText, type Value, valuesEqual } from "./values.js";

export interface EvaluationContext {
  variable(name: string): string | undefined;
  input(name: string): string | number | boolean | undefined;
}

interface Frame {
  readonly node: BinaryNode;
  /** The left operand's value once it is known. */
  left?: Value;
}

/**
 * Evaluates a tree to the value GitLab's Ruby code would produce, without recursion: the
 * explicit stack holds one frame per operator on the way down, so arbitrarily deep trees are
 * fine. `&&` and `||` short-circuit and return an operand, as in Ruby.
 */
export function evaluateNode(root: ExpressionNode, context: EvaluationContext): Value {
  const stack: Frame[] = [];
  let node = root;
  for (;;) {
    while (node.kind === "binary") {
      stack.push({ node });
      node = node.left;
    }
    let value = leafValue(node, context);
    for (;;) {
      const frame = stack.at(-1);
      if (frame === undefined) return value;
      const { operator } = frame.node;
      if (!("left" in frame)) {
        const decided =
          operator === "&&" ? !isRubyTruthy(value) : operator === "||" && isRubyTruthy(value);
        if (!decided) {
          frame.left = value;
          node = frame.node.right;
          break;
        }
        stack.pop();
        continue;
      }
      stack.pop();
      if (operator !== "&&" && operator !== "||") value = compare(operator, frame.left!, value);
    }
  }
}

function leafValue(node: Exclude<ExpressionNode, BinaryNode>, context: EvaluationContext): Value {
  switch (node.kind) {
    case "variable":
      return context.variable(node.name) ?? null;
    case "input":
      return context.input(node.name) ?? null;
    case "string":
    case "boolean":
      return node.value;
    case "null":
      return null;
    case "regex":
      return { kind: "regex", literal: node.literal, pattern: node.pattern };
  }
}

function compare(operator: "==" | "!=" | "=~" | "!~", left: Value, right: Value): boolean {
  switch (operator) {
    case "==":
      return valuesEqual(left, right);
    case "!=":
      return !valuesEqual(left, right);
    case "=~":
      return matches(left, right, false);
    case "!~":
      return matches(left, right, true);
  }
}

/**
 * `=~` (or `!~` when `negate`), per GitLab's `Lexeme::Matches`/`NotMatches` and the docs at
 * https://docs.gitlab.com/ci/jobs/job_rules/#store-a-regular-expression-in-a-variable:
 * - a missing right side (`null`, `false`) never matches;
 * - the left side is matched as text, so `null` counts as the empty string;
 * - a right side that is a string (from a variable or a quoted literal) is compiled when it reads
 *   `/pattern/flags`; otherwise, or when RE2 rejects it, GitLab falls back to testing whether the
 *   left side is a substring of the right side (`"23" =~ "1234"` is true, per the docs'
 *   troubleshooting section). Variables inside such a pattern are not expanded.
 */
export function matches(left: Value, right: Value, negate: boolean): boolean {
  if (right === null || right === false) return negate;
  const text = toText(left);
  let found: boolean;
  if (isRegexValue(right)) {
    found = right.pattern.test(text);
  } else {
    const raw = toText(right);
    // GitLab unescapes `\/` before reading the slash form, but falls back to the raw text.
    const compiled = compileSlashPattern(raw.replaceAll("\\/", "/"));
    found = compiled.ok ? compiled.pattern.test(text) : raw.includes(text);
  }
  return negate ? !found : found;
}
