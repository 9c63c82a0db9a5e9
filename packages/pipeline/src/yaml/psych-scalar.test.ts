import assert from "node:assert/strict";
import { test } from "node:test";
import { LoadError } from "./load-error.js";
import { isFloatText, tokenizePlain } from "./psych-scalar.js";
import { YamlSymbol } from "./yaml-symbol.js";

// Expected values were produced by Psych 4.0.3 (`YAML.safe_load("k: <text>")`), whose
// scanner matches Psych 5's default.
const CASES: Array<[string, unknown]> = [
  ["yes", true],
  ["Yes", true],
  ["YES", true],
  ["yEs", true],
  ["on", true],
  ["ON", true],
  ["no", false],
  ["off", false],
  ["Off", false],
  ["y", "y"],
  ["Y", "Y"],
  ["n", "n"],
  ["N", "N"],
  ["True", true],
  ["FALSE", false],
  ["~", null],
  ["null", null],
  ["nUlL", null],
  ["", null],
  ["0755", 493],
  ["-0755", -493],
  ["0o755", "0o755"],
  ["0x1F", 31],
  ["0X1F", "0X1F"],
  ["0x_1F", 31],
  ["0b101", 5],
  ["1_000", 1000],
  ["1,000", 1000],
  ["1__0", "1__0"],
  ["1_", "1_"],
  ["08", "08"],
  ["00", 0],
  ["-0", 0],
  ["+1", 1],
  ["1:20", 4800],
  ["-1:20", -2400],
  ["190:20:30", 685230],
  ["12:30:45", 45045],
  ["1:60", "1:60"],
  ["1:2:3:4", "1:2:3:4"],
  ["1:20.5", 4830],
  [".inf", Number.POSITIVE_INFINITY],
  ["+.Inf", Number.POSITIVE_INFINITY],
  ["-.INF", Number.NEGATIVE_INFINITY],
  [".NaN", Number.NaN],
  ["+.nan", "+.nan"],
  ["1.0", 1],
  ["3.10", 3.1],
  [".5", 0.5],
  ["5.", 5],
  ["1.5e+3", 1500],
  ["1_000.5", 1000.5],
  ["0.1_1", "0.1_1"],
  ["1e3", "1e3"],
  ["1.5e3", "1.5e3"],
  ["3e-2", "3e-2"],
  ["-.", "-."],
  ["Yes!", "Yes!"],
  ["y1", "y1"],
  ["offf", "offf"],
  ["v1.2.3", "v1.2.3"],
  ["echo hi", "echo hi"],
];

test("plain scalars load as Psych loads them", () => {
  for (const [text, expected] of CASES) {
    assert.deepEqual(tokenizePlain(text), expected, `k: ${text}`);
  }
});

test("a leading colon makes a Symbol, quotes included", () => {
  assert.deepEqual(tokenizePlain(":build"), new YamlSymbol("build"));
  assert.deepEqual(tokenizePlain(':"with space"'), new YamlSymbol("with space"));
  assert.deepEqual(tokenizePlain("::a"), new YamlSymbol(":a"));
});

test("dates and timestamps fail as Psych's safe_load does", () => {
  for (const [text, klass] of [
    ["2024-01-01", "Date"],
    ["2024-1-1", "Date"],
    ["2024-02-30", "Date"],
    ["2001-12-14t21:59:43.10-05:00", "Time"],
    ["2001-12-14 21:59:43", "Time"],
  ]) {
    assert.throws(
      () => tokenizePlain(text ?? ""),
      (error: unknown) =>
        error instanceof LoadError && error.message === `Tried to load unspecified class: ${klass}`,
    );
  }
});

test("numbers Ruby cannot convert fail with Ruby's message", () => {
  assert.throws(() => tokenizePlain("0b_"), { message: 'invalid value for Integer(): "0b"' });
  assert.throws(() => tokenizePlain("+.e+3"), { message: 'invalid value for Float(): "+e+3"' });
});

test("float texts are told apart from integers", () => {
  assert.equal(isFloatText("1.0"), true);
  assert.equal(isFloatText("1:20.5"), true);
  assert.equal(isFloatText(".inf"), true);
  assert.equal(isFloatText("1"), false);
  assert.equal(isFloatText("1:20"), false);
  assert.equal(isFloatText("1e3"), false);
});
