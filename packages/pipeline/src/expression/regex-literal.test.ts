import assert from "node:assert/strict";
import { test } from "node:test";
import { RE2JS } from "re2js";
import { scanRegexLiteral } from "./regex-literal.js";

const literalAt = (text: string, start = 0): string | undefined => {
  const end = scanRegexLiteral(text, start);
  return end === undefined ? undefined : text.slice(start, end);
};

test("a literal runs from its slash to the closing slash and its flags", () => {
  assert.equal(literalAt("/ab/ && $X"), "/ab/");
  assert.equal(literalAt("/ab/i)"), "/ab/i");
  assert.equal(literalAt("/ab/ismU =="), "/ab/ismU");
  assert.equal(literalAt("$X =~ /^v\\d+/", 6), "/^v\\d+/");
});

test("single-character bodies and empty bodies are not literals (GitLab docs: /./ is invalid)", () => {
  assert.equal(literalAt("/./"), undefined);
  assert.equal(literalAt("/a/"), undefined);
  assert.equal(literalAt("//"), undefined);
  assert.equal(literalAt("/ab"), undefined);
});

test("flags other than i, m, s, U are not part of the literal", () => {
  assert.equal(literalAt("/ab/x"), "/ab/");
  assert.equal(literalAt("/ab/gi"), "/ab/");
});

test("escaped slashes stay in the body", () => {
  assert.equal(literalAt("/a\\/b/ x"), "/a\\/b/");
  assert.equal(literalAt("/^\\/a\\/full$/"), "/^\\/a\\/full$/");
});

test("a backslash cannot be the last body character, so /ab\\\\/ does not close at that slash", () => {
  assert.equal(literalAt("/ab\\\\/"), undefined);
  assert.equal(literalAt("/ab\\\\/c/"), "/ab\\\\/c/");
});

test("a doubled closing slash puts one slash in the body", () => {
  assert.equal(literalAt("/ab//"), "/ab//");
  assert.equal(literalAt("/a\\//"), "/a\\//");
});

test("the walk agrees with GitLab's lexer pattern on random input", () => {
  // GitLab's `Lexeme::Pattern` rule, evaluated with RE2's leftmost-first semantics, which pick
  // the same match as Ruby's backtracking engine.
  const gitlab = RE2JS.compile("/(?:[^/]|\\\\/)+[^\\\\]/[ismU]*");
  const alphabet = ["a", "b", "/", "\\", "i", "U", "x", " ", "\n"];
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  let literals = 0;
  for (let round = 0; round < 5000; round += 1) {
    let text = "/";
    const length = next() % 12;
    for (let i = 0; i < length; i += 1) text += alphabet[next() % alphabet.length];
    const matcher = gitlab.matcher(text);
    const expected = matcher.lookingAt() ? matcher.end() : undefined;
    if (expected !== undefined) literals += 1;
    assert.equal(scanRegexLiteral(text, 0), expected, JSON.stringify(text));
  }
  assert.ok(literals > 500, `only ${literals} random inputs were literals`);
});
