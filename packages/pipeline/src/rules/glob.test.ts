import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesGlob } from "./glob.js";

// Expected results follow Ruby's File.fnmatch? with FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB,
// which GitLab uses for rules:changes and rules:exists (docs: ci/yaml/#ruleschanges).
const cases: Array<[string, string, boolean]> = [
  ["*.md", "README.md", true],
  ["*.md", "docs/README.md", false],
  ["**/*.md", "README.md", true],
  ["**/*.md", "docs/a/b/README.md", true],
  ["docs/**/*", "docs/a/b.txt", true],
  ["docs/**/*", "docs/b.txt", true],
  ["docs/*", "docs/a/b.txt", false],
  ["Dockerfile", "Dockerfile", true],
  ["Dockerfile", "sub/Dockerfile", false],
  ["*", ".gitlab-ci.yml", true],
  ["src/{a,b}/*.ts", "src/a/x.ts", true],
  ["src/{a,b}/*.ts", "src/c/x.ts", false],
  ["file?.txt", "file1.txt", true],
  ["file?.txt", "file/.txt", false],
  ["[ab]*.go", "a_test.go", true],
  ["[!ab]*.go", "a_test.go", false],
  ["[!ab]*.go", "c.go", true],
  ["a+b(c).txt", "a+b(c).txt", true],
  ["*.{yml,yaml}", "ci.yaml", true],
];

for (const [glob, path, expected] of cases) {
  test(`fnmatch ${glob} against ${path} is ${expected}`, () => {
    assert.equal(matchesGlob(glob, path), expected);
  });
}

test("a pathological glob against a long path answers (RE2, no backtracking)", () => {
  const glob = `${"*a".repeat(30)}b`;
  assert.equal(matchesGlob(glob, "a".repeat(5000)), false);
});
