import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesRegexLiteral } from "./index.js";
import { compileSlashPattern, splitSlashForm } from "./regex.js";

const compiled = (text: string) => {
  const result = compileSlashPattern(text);
  if (!result.ok) throw new Error(`${text}: ${result.reason}`);
  return result.pattern;
};

test("the slash form: body up to the last slash, flags from i, m, s and U", () => {
  assert.deepEqual(splitSlashForm("/^ab.*/"), { body: "^ab.*", flags: "" });
  assert.deepEqual(splitSlashForm("/a/b/ismU"), { body: "a/b", flags: "ismU" });
  assert.deepEqual(splitSlashForm("/a/i/"), { body: "a/i", flags: "" });
  assert.equal(splitSlashForm("/ab/x"), undefined);
  assert.equal(splitSlashForm("ab/"), undefined);
  assert.equal(splitSlashForm("/"), undefined);
  assert.deepEqual(splitSlashForm("//"), { body: "", flags: "" });
});

test("Ruby's line anchors: the first line of the form counts", () => {
  assert.deepEqual(splitSlashForm("not a pattern\n/^v\\d/i\nnor this"), {
    body: "^v\\d",
    flags: "i",
  });
  assert.equal(splitSlashForm("/a\nb/"), undefined);
});

test("flags become an inline RE2 group", () => {
  assert.equal(compiled("/abc/i").source, "(?i)abc");
  assert.equal(compiled("/abc/").source, "abc");
  assert.equal(compiled("/AbC/i").test("xxabcxx"), true);
  assert.equal(compiled("/AbC/").test("xxabcxx"), false);
  assert.equal(compiled("/a.c/").test("a\nc"), false);
  assert.equal(compiled("/a.c/s").test("a\nc"), true);
  assert.equal(compiled("/^b$/").test("a\nb\nc"), false);
  assert.equal(compiled("/^b$/m").test("a\nb\nc"), true);
});

test("matching is unanchored and uses RE2's $ (end of text only, not before a final newline)", () => {
  assert.equal(compiled("/ss/").test("severe-issues"), true);
  assert.equal(compiled("/^issue-/").test("severe-issue-1"), false);
  assert.equal(compiled("/main$/").test("main\n"), false);
});

test("RE2 rejects lookaround, backreferences and Ruby-only escapes", () => {
  for (const text of [
    "/(?=a)b/",
    "/(?<!a)b/",
    "/(a)\\1/",
    "/\\h+/",
    "/a++/",
    "/(?>ab)/",
    "/\\Z/",
  ]) {
    const result = compileSlashPattern(text);
    assert.equal(result.ok, false, text);
  }
  const lookahead = compileSlashPattern("/(?!a)b/");
  assert.ok(!lookahead.ok && /lookaround/.test(lookahead.reason));
});

test("RE2 syntax that Ruby shares is accepted", () => {
  assert.equal(compiled("/\\Arelease-\\d+\\z/").test("release-12"), true);
  assert.equal(compiled("/(?P<major>\\d+)\\.(?<minor>\\d+)/").test("v1.2"), true);
  assert.equal(compiled("/[[:alpha:]]{3}/").test("ab1"), false);
  assert.equal(compiled("/\\p{Greek}/").test("λ"), true);
  assert.equal(compiled("/\\x40/").test("a@b"), true);
});

test("a catastrophic-backtracking pattern gives the right answer on a long input (RE2 is linear)", () => {
  const long = `${"a".repeat(200_000)}!`;
  assert.equal(compiled("/(a+)+$/").test(long), false);
  assert.equal(compiled("/^(a|aa)+$/").test(long), false);
  assert.equal(compiled("/(a+)+!$/").test(long), true);
  assert.equal(compiled("/(x+x+)+y/").test("x".repeat(100_000)), false);
});

test("an unterminated \\Q never matches, because GitLab scans with the pattern wrapped in a group", () => {
  assert.equal(compiled("/\\Qa.c/").test("a.c"), false);
  assert.equal(compiled("/\\Qa.c\\E/").test("a.c"), true);
});

test("patterns larger than RE2's default memory budget are rejected", () => {
  const result = compileSlashPattern(`/${"a{1000}".repeat(200)}/`);
  assert.ok(!result.ok && /too large/.test(result.reason));
});

test("matchesRegexLiteral compiles a /pattern/flags literal, for only:refs", () => {
  assert.equal(matchesRegexLiteral("/^release-.*$/", "release-1.2"), true);
  assert.equal(matchesRegexLiteral("/^RELEASE/i", "release-1.2"), true);
  assert.equal(matchesRegexLiteral("/^release/", "pre-release"), false);
  assert.equal(matchesRegexLiteral("/(?=x)/", "x"), false);
  assert.equal(matchesRegexLiteral("release", "release"), false);
});
