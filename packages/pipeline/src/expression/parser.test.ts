import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExpressionNode } from "./ast.js";
import { ExpressionSyntaxError } from "./errors.js";
import { evaluateExpression, parseExpression } from "./index.js";

/** Renders a tree with explicit grouping, e.g. `(($A == "x") && $B)`. */
function show(node: ExpressionNode): string {
  switch (node.kind) {
    case "binary":
      return `(${show(node.left)} ${node.operator} ${show(node.right)})`;
    case "variable":
      return `$${node.name}`;
    case "input":
      return `inputs.${node.name}`;
    case "string":
      return JSON.stringify(node.value);
    case "null":
      return "null";
    case "boolean":
      return String(node.value);
    case "regex":
      return node.literal;
  }
}

const tree = (source: string) => show(parseExpression(source).root);

const syntaxError = (source: string): ExpressionSyntaxError => {
  try {
    parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be invalid`);
};

test("&& binds tighter than ||, comparisons tighter than both", () => {
  assert.equal(tree("$A || $B && $C"), "($A || ($B && $C))");
  assert.equal(tree("$A && $B || $C"), "(($A && $B) || $C)");
  assert.equal(
    tree('$A == "x" && $B =~ /y./ || $C != null'),
    '((($A == "x") && ($B =~ /y./)) || ($C != null))',
  );
  assert.equal(tree("$A !~ /ab/ || $B"), "(($A !~ /ab/) || $B)");
});

test("operators of one level associate to the left", () => {
  assert.equal(tree("$A && $B && $C"), "(($A && $B) && $C)");
  assert.equal(tree("$A || $B || $C"), "(($A || $B) || $C)");
  assert.equal(tree("$A == $B != $C"), "(($A == $B) != $C)");
});

test("parentheses group first", () => {
  assert.equal(tree("($A || $B) && $C"), "(($A || $B) && $C)");
  assert.equal(tree("$A == ($B || $C)"), "($A == ($B || $C))");
  assert.equal(tree("((($A)))"), "$A");
});

test("GitLab's postfix parser also accepts operands before their operator", () => {
  assert.equal(tree("$A $B =="), "($A == $B)");
  assert.equal(tree("== $A $B"), "($A == $B)");
  assert.equal(tree("$A ()"), "$A");
});

test("bad statements are syntax errors that say what and where", () => {
  const cases: Array<[string, RegExp, number]> = [
    ['$A = "x"', /unknown lexeme/, 4],
    ["$A ==", /operator "==" is missing an operand/, 4],
    ["&& $B", /operator "&&" is missing an operand/, 1],
    ["==", /operator "==" has no operands/, 1],
    ["($A == $B", /unmatched "\("/, 1],
    ["$A == $B)", /unmatched "\)"/, 9],
    ["$A $B", /missing operator/, 4],
    ['$A == "x" "y"', /missing operator/, 4],
    ["()", /no value/, 1],
    ["", /empty/, 1],
    ["   ", /empty/, 1],
    ["$A =~ /(?=x)ab/", /invalid regular expression \/\(\?=x\)ab\/.*lookaround/, 7],
    ["$A =~ /(a)\\1/", /backreferences/, 7],
    ["$A =~ /a{2,1001}/", /invalid regular expression/, 7],
    ["$A =~ /ab\ncd/", /invalid regular expression/, 7],
  ];
  for (const [source, message, column] of cases) {
    const error = syntaxError(source);
    assert.match(error.message, message, source);
    assert.equal(error.column, column, source);
    assert.equal(error.source, source);
  }
});

test("errors carry the reason, a hint and the position separately", () => {
  const error = syntaxError('$A == "say \\"hi\\""');
  assert.equal(error.reason, `unknown lexeme ${JSON.stringify('hi\\""')}`);
  assert.equal(error.column, 14);
  assert.equal(error.offset, 13);
  assert.match(error.hint ?? "", /expected \$VARIABLE/);
  assert.equal(error.name, "ExpressionSyntaxError");
});

test("a 10,000-term chain is rejected by the token limit, not by the call stack", () => {
  const chain = Array.from({ length: 10_000 }, () => "$A").join(" && ");
  assert.ok(chain.length < 65_536);
  assert.match(syntaxError(chain).message, /too many tokens at column 298: .*at most 99 tokens/);
});

test("with the token limit raised, huge chains and deep nesting parse and evaluate iteratively", () => {
  const options = { maxTokens: 1_000_000, maxLength: 10_000_000 };
  const all = (name: string) => (name === "V9999" ? undefined : "set");
  const andChain = parseExpression(
    Array.from({ length: 10_000 }, (_, i) => `$V${i}`).join(" && "),
    options,
  );
  assert.equal(evaluateExpression(andChain, all), false);
  assert.equal(
    evaluateExpression(andChain, () => "set"),
    true,
  );
  const orChain = parseExpression(
    Array.from({ length: 10_000 }, (_, i) => `$V${i} == "x"`).join(" || "),
    options,
  );
  assert.equal(
    evaluateExpression(orChain, (name) => (name === "V9998" ? "x" : undefined)),
    true,
  );
  assert.equal(
    evaluateExpression(orChain, () => undefined),
    false,
  );
  const nested = parseExpression(`${"(".repeat(50_000)}$A == "x"${")".repeat(50_000)}`, options);
  assert.equal(
    evaluateExpression(nested, () => "x"),
    true,
  );
  const rightDeep = parseExpression(`${"$A == (".repeat(20_000)}$A${")".repeat(20_000)}`, options);
  assert.equal(
    evaluateExpression(rightDeep, () => "x"),
    false,
  );
});

test("expressions longer than the length cap are rejected with a clear message", () => {
  const error = syntaxError(`$A == "${"x".repeat(70_000)}"`);
  assert.match(error.message, /too long.*limit is 65536/);
  assert.doesNotThrow(() => parseExpression(`$A == "${"x".repeat(60_000)}"`));
});
