import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateNode } from "./evaluator.js";
import { evaluateExpression, isValidExpression, parseExpression } from "./index.js";

const VARIABLES: Readonly<Record<string, string>> = {
  BRANCH: "feature/login",
  EMPTY: "",
  SPACES: " \t\u00a0",
  WORD: "true",
  PATTERN: "/^feature\\/.*/",
  PATTERN_I: "/^FEATURE/i",
  SHORT: "/e/",
  PLAIN: "feature/login-page",
  BAD_PATTERN: "/(?=x)feature/",
};

const lookup = (name: string) => VARIABLES[name];
const holds = (source: string) => evaluateExpression(source, lookup);

/** The raw value GitLab's `Statement#evaluate` would return (regexes as their literal). */
function rubyValue(source: string): unknown {
  const value = evaluateNode(parseExpression(source).root, {
    variable: lookup,
    input: () => undefined,
  });
  return typeof value === "object" && value !== null ? value.literal : value;
}

test("== and != compare strings exactly, in either order", () => {
  assert.equal(holds('$BRANCH == "feature/login"'), true);
  assert.equal(holds("'feature/login' == $BRANCH"), true);
  assert.equal(holds('$BRANCH == "Feature/login"'), false);
  assert.equal(holds('$BRANCH != "main"'), true);
  assert.equal(holds('$BRANCH != "feature/login"'), false);
});

test("quotes: no escape sequences, but the other kind of quote can appear inside a string", () => {
  const said = (name: string) => (name === "Q" ? 'say "hi"' : undefined);
  assert.equal(evaluateExpression(`$Q == 'say "hi"'`, said), true);
  assert.equal(isValidExpression(String.raw`$Q == "say \"hi\""`), false);
  assert.equal(evaluateExpression(String.raw`$Q == "say \"hi\""`, said), false);
  assert.equal(
    evaluateExpression(String.raw`$Q == "say \"`, () => "say \\"),
    true,
  );
});

test("two variables compare by value; two undefined variables are equal (both null)", () => {
  assert.equal(holds("$BRANCH == $BRANCH"), true);
  assert.equal(holds("$BRANCH == $PLAIN"), false);
  assert.equal(holds("$BRANCH != $PLAIN"), true);
  assert.equal(holds("$NOPE == $ALSO_NOPE"), true);
  assert.equal(holds("$EMPTY == $NOPE"), false);
});

test("null: undefined variables are null, empty variables are not", () => {
  assert.equal(holds("$NOPE == null"), true);
  assert.equal(holds("null == $NOPE"), true);
  assert.equal(holds("$NOPE != null"), false);
  assert.equal(holds("$EMPTY == null"), false);
  assert.equal(holds("$EMPTY != null"), true);
  assert.equal(holds('$EMPTY == ""'), true);
  assert.equal(holds('$NOPE == ""'), false);
});

test("a bare variable holds when defined and not blank", () => {
  assert.equal(holds("$BRANCH"), true);
  assert.equal(holds("$NOPE"), false);
  assert.equal(holds("$EMPTY"), false);
  assert.equal(holds("$SPACES"), false);
  assert.equal(holds('"x"'), true);
  assert.equal(holds("null"), false);
});

test("&& and || return an operand with Ruby truthiness, so an empty string counts as true inside them", () => {
  assert.equal(rubyValue("$EMPTY && $BRANCH"), "feature/login");
  assert.equal(rubyValue("$BRANCH && $EMPTY"), "");
  assert.equal(rubyValue("$NOPE && $BRANCH"), null);
  assert.equal(rubyValue("$EMPTY || $BRANCH"), "");
  assert.equal(rubyValue("$NOPE || $BRANCH"), "feature/login");
  assert.equal(rubyValue('$BRANCH == "x" || $EMPTY'), "");
  assert.equal(holds("$EMPTY && $BRANCH"), true);
  assert.equal(holds("$EMPTY || $BRANCH"), false);
  assert.equal(holds("$NOPE || $BRANCH"), true);
});

test("parenthesised values take part in comparisons", () => {
  assert.equal(rubyValue('("a" || "b") == "a"'), true);
  assert.equal(rubyValue('"a" == ("b" && "a")'), true);
  assert.equal(rubyValue('"a" == ("b" || "a")'), false);
  assert.equal(rubyValue('"a" == "b" || "a"'), "a");
});

test("=~ with a regex literal finds a match anywhere; !~ is its negation", () => {
  assert.equal(holds("$BRANCH =~ /login/"), true);
  assert.equal(holds("$BRANCH =~ /^login/"), false);
  assert.equal(holds("$BRANCH !~ /^login/"), true);
  assert.equal(holds("$BRANCH !~ /login/"), false);
  assert.equal(holds("$BRANCH =~ /^feature\\/log/"), true);
});

test("the i flag makes a literal case-insensitive", () => {
  assert.equal(holds("$BRANCH =~ /LOGIN/"), false);
  assert.equal(holds("$BRANCH =~ /LOGIN/i"), true);
  assert.equal(holds("$BRANCH !~ /LOGIN/i"), false);
});

test("a null left side matches as the empty string", () => {
  assert.equal(holds("$NOPE =~ /login/"), false);
  assert.equal(holds("$NOPE !~ /login/"), true);
  assert.equal(holds("$NOPE =~ /^$/"), true);
  assert.equal(holds("$EMPTY =~ /^$/"), true);
});

test("a null right side never matches", () => {
  assert.equal(holds("$BRANCH =~ $NOPE"), false);
  assert.equal(holds("$BRANCH !~ $NOPE"), true);
  assert.equal(holds("$BRANCH =~ null"), false);
});

test("a variable holding /pattern/flags is compiled as a regex", () => {
  assert.equal(holds("$BRANCH =~ $PATTERN"), true);
  assert.equal(holds("$PLAIN =~ $PATTERN"), true);
  assert.equal(holds('"fix/feature/x" =~ $PATTERN'), false);
  assert.equal(holds("$BRANCH =~ $PATTERN_I"), true);
  assert.equal(holds("$BRANCH !~ $PATTERN_I"), false);
  // The lexer's two-character minimum does not apply to patterns from variables.
  assert.equal(holds("$BRANCH =~ $SHORT"), true);
});

test("a right side that is not a valid /pattern/ tests whether the left side is a substring of it", () => {
  assert.equal(holds('"23" =~ "1234"'), true);
  assert.equal(holds('"1234" =~ "23"'), false);
  assert.equal(holds("$BRANCH =~ $PLAIN"), true);
  assert.equal(holds("$PLAIN =~ $BRANCH"), false);
  assert.equal(holds("$BRANCH =~ $BRANCH"), true);
  assert.equal(holds('"feature" =~ $BAD_PATTERN'), true);
  assert.equal(holds('"x" =~ $BAD_PATTERN'), true);
  assert.equal(holds('"y" =~ $BAD_PATTERN'), false);
  assert.equal(holds('$NOPE =~ "anything"'), true);
});

test("true and false compare with strings by their text", () => {
  assert.equal(holds("$WORD == true"), true);
  assert.equal(holds("true == $WORD"), true);
  assert.equal(holds("$WORD != false"), true);
  assert.equal(holds("$BRANCH == true"), false);
  assert.equal(holds("true"), true);
  assert.equal(holds("false"), false);
  assert.equal(holds("$BRANCH =~ /login/ == true"), true);
  assert.equal(holds("$NOPE == false"), false);
});

test("regex literals are truthy and equal only to the same pattern", () => {
  assert.equal(holds("/ab/"), true);
  assert.equal(holds("/ab/ == /ab/"), true);
  assert.equal(holds("/ab/ == /ab/i"), false);
  assert.equal(holds("$BRANCH == /feature\\/login/"), false);
});

test("input references use the inputs lookup and are null without one", () => {
  const expr = parseExpression(
    '$[[ inputs.env ]] == "prod" && $[[ inputs.replicas ]] == $[[ inputs.replicas ]]',
  );
  const inputs = (name: string) => ({ env: "prod", replicas: 3 })[name];
  assert.equal(evaluateExpression(expr, lookup, { inputs }), true);
  assert.equal(evaluateExpression(expr, lookup), false);
  assert.equal(evaluateExpression("$[[ inputs.env ]] == null", lookup), true);
  assert.equal(
    evaluateExpression("$[[ inputs.flag ]] == 'true'", lookup, { inputs: () => true }),
    true,
  );
});

test("invalid syntax evaluates to false, as GitLab's truthful? does", () => {
  assert.equal(holds('$BRANCH = "feature/login"'), false);
  assert.equal(holds("$BRANCH =~ /(?=f)/"), false);
  assert.equal(holds("($BRANCH"), false);
});

test("evaluation reads variables only through the lookup, and short-circuits", () => {
  const seen: string[] = [];
  const spy = (name: string) => {
    seen.push(name);
    return VARIABLES[name];
  };
  const expr = parseExpression("$NOPE && $BRANCH || $EMPTY == '' || $PLAIN");
  assert.equal(evaluateExpression(expr, spy), true);
  assert.deepEqual(seen, ["NOPE", "EMPTY"]);
  assert.equal(evaluateExpression(expr, spy), true, "an Expression can be evaluated again");
});
