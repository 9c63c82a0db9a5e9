import assert from "node:assert/strict";
import { test } from "node:test";
import { RE2JS } from "re2js";
import { estimateProgramSize } from "./regex-size.js";

test("the estimate tracks re2js's compiled program size", () => {
  const patterns = [
    "a{1000}",
    "(?:abcdefghij){100}",
    "(ab|cd|ef)*x+y?",
    "[a-z]{2,50}",
    "^release-\\d+\\.\\d+$",
    "(?i)feature/.*",
    "((a|b){3,5}c){20}",
    "(?:a|b|c|d|e|f|g|h|i|j){1000}",
    "(?P<major>\\d{1,3})\\.(?<minor>\\d{1,3})",
    "[^]a]{30}",
    "\\Qa.b\\E{50}",
    "(?:\\x{41}|\\p{Greek}){40}",
  ];
  for (const pattern of patterns) {
    const actual = RE2JS.compile(pattern).programSize();
    const estimate = estimateProgramSize(pattern);
    assert.ok(
      estimate <= actual * 1.5 && estimate >= actual * 0.5,
      `${pattern}: ${estimate} vs ${actual}`,
    );
  }
});

test("counted repetition multiplies, nested repetition multiplies again", () => {
  assert.equal(estimateProgramSize("a{1000}".repeat(300)), 300_000);
  assert.equal(estimateProgramSize("(?:(?:ab){10}){10}"), 200);
  assert.equal(estimateProgramSize("a{2,}"), 3);
  assert.equal(estimateProgramSize("a{,5}"), 5, "not a repeat: five literal characters");
});
