import type { ExpressionNode } from "./ast.js";
import { ExpressionSyntaxError } from "./errors.js";
import { compileSlashPattern } from "./regex.js";
import { PRECEDENCE, type Token } from "./tokens.js";

/**
 * Builds the tree for a token list the way GitLab's `Expression::Parser` does: the
 * shunting-yard algorithm turns the tokens into postfix order, and the postfix list is then
 * folded into a tree. Both steps are loops, so no input can exhaust the call stack.
 *
 * This is GitLab's acceptance rule, not a stricter grammar: an operator needs two operands by
 * the time it is applied and exactly one value must remain, so GitLab (and this parser) also
 * accept odd spellings such as `$A $B ==`, which means `$A == $B`.
 */
export function parseTokens(source: string, tokens: readonly Token[]): ExpressionNode {
  if (tokens.length === 0) {
    throw new ExpressionSyntaxError(source, 0, "the expression is empty");
  }
  const nodes: ExpressionNode[] = [];
  for (const token of toPostfix(source, tokens)) {
    if (token.kind === "open") {
      throw new ExpressionSyntaxError(source, token.offset, 'unmatched "("', "it is never closed");
    }
    if (token.kind === "operator") {
      const right = nodes.pop();
      const left = nodes.pop();
      if (left === undefined || right === undefined) {
        const problem = right === undefined ? "has no operands" : "is missing an operand";
        throw new ExpressionSyntaxError(
          source,
          token.offset,
          `operator "${token.operator}" ${problem}`,
          "it needs a value on each side",
        );
      }
      const start = Math.min(token.offset, startOf(left), startOf(right));
      nodes.push({
        kind: "binary",
        operator: token.operator,
        left,
        right,
        offset: token.offset,
        start,
      });
      continue;
    }
    nodes.push(leaf(source, token));
  }
  const [root, extra] = nodes;
  if (root === undefined) {
    throw new ExpressionSyntaxError(source, tokens[0]!.offset, "the expression has no value");
  }
  if (extra !== undefined) {
    throw new ExpressionSyntaxError(
      source,
      startOf(extra),
      "missing operator",
      "this part is not joined to what comes before it by ==, !=, =~, !~, && or ||",
    );
  }
  return root;
}

function startOf(node: ExpressionNode): number {
  return node.kind === "binary" ? node.start : node.offset;
}

type PostfixToken = Exclude<Token, { kind: "close" }>;
type StackToken = Extract<Token, { kind: "operator" | "open" }>;
type LeafToken = Exclude<Token, StackToken | { kind: "close" }>;

/** Shunting-yard to postfix; an unclosed "(" is left in the output for the caller to reject. */
function toPostfix(source: string, tokens: readonly Token[]): PostfixToken[] {
  const output: PostfixToken[] = [];
  const operators: StackToken[] = [];
  for (const token of tokens) {
    if (token.kind === "operator") {
      const binding = PRECEDENCE[token.operator];
      for (let top = operators.at(-1); top?.kind === "operator"; top = operators.at(-1)) {
        if (PRECEDENCE[top.operator] > binding) break;
        output.push(operators.pop()!);
      }
      operators.push(token);
    } else if (token.kind === "open") {
      operators.push(token);
    } else if (token.kind === "close") {
      while (operators.at(-1)?.kind === "operator") output.push(operators.pop()!);
      if (operators.pop() === undefined) {
        throw new ExpressionSyntaxError(
          source,
          token.offset,
          'unmatched ")"',
          'there is no "(" before it',
        );
      }
    } else {
      output.push(token);
    }
  }
  for (let top = operators.pop(); top !== undefined; top = operators.pop()) output.push(top);
  return output;
}

function leaf(source: string, token: LeafToken): ExpressionNode {
  const offset = token.offset;
  switch (token.kind) {
    case "variable":
      return { kind: "variable", name: token.name, offset };
    case "input":
      return { kind: "input", name: token.name, offset };
    case "string":
      return { kind: "string", value: token.value, offset };
    case "null":
      return { kind: "null", offset };
    case "boolean":
      return { kind: "boolean", value: token.value, offset };
    case "regex": {
      // GitLab unescapes `\/` in the literal, then compiles it with RE2 and rejects the whole
      // expression when RE2 cannot compile it.
      const compiled = compileSlashPattern(token.text.replaceAll("\\/", "/"));
      if (!compiled.ok) {
        throw new ExpressionSyntaxError(
          source,
          offset,
          `invalid regular expression ${token.text}`,
          compiled.reason,
        );
      }
      return { kind: "regex", literal: token.text, pattern: compiled.pattern, offset };
    }
  }
}
