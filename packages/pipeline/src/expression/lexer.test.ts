import assert from "node:assert/strict";
import { test } from "node:test";
import { ExpressionSyntaxError } from "./errors.js";
import { tokenize } from "./lexer.js";

const kinds = (source: string) => tokenize(source, 99).map((token) => token.kind);
const texts = (source: string) => tokenize(source, 99).map((token) => token.text);

const lexError = (source: string, maxTokens = 99): ExpressionSyntaxError => {
  try {
    tokenize(source, maxTokens);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} not to lex`);
};

test("lexes every kind of token with its position", () => {
  const tokens = tokenize(
    `($A == "x") && $[[ inputs.env ]] != 'y' || $B =~ /ab/i && $C !~ null`,
    99,
  );
  assert.deepEqual(
    tokens.map((t) => [t.kind, t.text, t.offset]),
    [
      ["open", "(", 0],
      ["variable", "$A", 1],
      ["operator", "==", 4],
      ["string", '"x"', 7],
      ["close", ")", 10],
      ["operator", "&&", 12],
      ["input", "$[[ inputs.env ]]", 15],
      ["operator", "!=", 33],
      ["string", "'y'", 36],
      ["operator", "||", 40],
      ["variable", "$B", 43],
      ["operator", "=~", 46],
      ["regex", "/ab/i", 49],
      ["operator", "&&", 55],
      ["variable", "$C", 58],
      ["operator", "!~", 61],
      ["null", "null", 64],
    ],
  );
});

test("variable names are ASCII letters, digits and underscores", () => {
  const [token] = tokenize("$CI_COMMIT_REF_NAME2", 99);
  assert.equal(token?.kind === "variable" && token.name, "CI_COMMIT_REF_NAME2");
  assert.equal(lexError("$A-b").column, 3);
  // Ruby's \w is ASCII-only, so a non-ASCII letter ends the name.
  assert.equal(lexError("$CAFÉ").column, 5);
});

test("the braced form is not a lexeme: GitLab docs say rules expressions are always formatted as $VARIABLE", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text GitLab rejects
  const error = lexError("${CI_COMMIT_BRANCH} == 'main'");
  assert.equal(error.column, 1);
  assert.match(error.message, /braced form/);
  assert.equal(lexError("$ == 'x'").column, 1);
});

test("strings have no escape sequences and end at the next quote of the same kind", () => {
  const [first, second] = tokenize(String.raw`"a\" 'b\'`, 99);
  assert.equal(first?.kind === "string" && first.value, "a\\");
  assert.equal(second?.kind === "string" && second.value, "b\\");
  const [mixed] = tokenize(`"it's" `, 99);
  assert.equal(mixed?.kind === "string" && mixed.value, "it's");
  assert.deepEqual(kinds(`"" ''`), ["string", "string"]);
});

test("a string cannot span a line break", () => {
  assert.equal(lexError('$A == "one\ntwo"').column, 7);
});

test("whitespace is Ruby's \\s only", () => {
  assert.deepEqual(kinds("\t$A\r\n==\f\v'x' "), ["variable", "operator", "string"]);
  assert.equal(lexError("$A\u00a0== 'x'").column, 3);
});

test("null, true and false; true/false must be whole words, null need not be", () => {
  assert.deepEqual(kinds("null true false"), ["null", "boolean", "boolean"]);
  assert.equal(lexError("trueish").column, 1);
  assert.deepEqual(texts("nulltrue"), ["null", "true"]);
  assert.equal(lexError("nullable").column, 5);
  assert.deepEqual(kinds("$null"), ["variable"]);
});

test("operators need both characters", () => {
  assert.deepEqual(texts("==!==~!~&&||"), ["==", "!=", "=~", "!~", "&&", "||"]);
  assert.match(lexError('$A = "x"').message, /unknown lexeme "= \\"x\\"" at column 4/);
  assert.match(lexError("$A & $B").message, /use "&&"/);
  assert.match(lexError("$A | $B").message, /use "\|\|"/);
  assert.match(lexError("!$A").message, /"!=" or "!~"/);
});

test("numbers and bare words are unknown lexemes", () => {
  assert.equal(lexError("$V1 123 $V2").column, 5);
  assert.equal(lexError("$A == main").column, 7);
});

test("input references allow spaces inside the brackets", () => {
  const [token] = tokenize("$[[inputs.cloud_provider]]", 99);
  assert.equal(token?.kind === "input" && token.name, "cloud_provider");
  assert.equal(lexError("$[[ inputs.env | expand_vars ]]").column, 1);
});

test("GitLab's token limit: 99 tokens lex, the 100th is an error at its column", () => {
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `$V${i}`).join(" && ");
  assert.equal(tokenize(terms(50), 99).length, 99);
  const error = lexError(terms(51));
  assert.match(error.message, /too many tokens/);
  assert.equal(error.offset, terms(51).lastIndexOf("&&"));
});
