import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanPath, compileGlob, glob, GlobPatternError, splitPattern } from "./glob.js";
import { tempDir, writeTree } from "./test-fixtures.js";

describe("compileGlob (doublestar.Match)", () => {
  const cases: [pattern: string, path: string, expected: boolean][] = [
    ["*.txt", "a.txt", true],
    ["*.txt", ".hidden.txt", true],
    ["*.txt", "dir/a.txt", false],
    ["dir/*", "dir/a", true],
    ["dir/*", "dir/a/b", false],
    ["**", "a/b/c", true],
    ["**/*.o", "x.o", true],
    ["**/*.o", "a/b/x.o", true],
    ["binaries/**/*.o", "binaries/x.o", true],
    ["binaries/**/*.o", "binaries/a/b/x.o", true],
    ["binaries/**/*.o", "other/x.o", false],
    ["a/**", "a", true],
    ["a/**", "a/b/c", true],
    ["a/**", "ab", false],
    ["a/**/b", "a/b", true],
    ["a/**/**/b", "a/x/y/b", true],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[abc].txt", "b.txt", true],
    ["[!abc].txt", "b.txt", false],
    ["[^abc].txt", "d.txt", true],
    ["[a-c]x", "bx", true],
    ["[a-c]x", "dx", false],
    ["{foo,bar}.js", "bar.js", true],
    ["{foo,bar}.js", "baz.js", false],
    ["src/{a,b/c}/*.js", "src/b/c/x.js", true],
    ["\\*.txt", "*.txt", true],
    ["\\*.txt", "a.txt", false],
    ["a**b", "axxb", true],
    ["a**b", "a/b", false],
    ["file.(1)+", "file.(1)+", true],
    ["a{b,c{d,e}}f", "acdf", true],
    ["a{b,c{d,e}}f", "abf", true],
    ["a{b,c{d,e}}f", "acf", false],
    ["x[{]y", "x{y", true],
    ["{a}.txt", "a.txt", true],
    ["(a|b)", "(a|b)", true],
    ["(a|b)", "a", false],
    ["!*.log", "!x.log", true],
    ["!*.log", "x.txt", false],
    ["a+(b)", "a+(b)", true],
    ["\\d", "d", true],
    ["[a\\-c]", "-", true],
    ["[a\\-c]", "b", false],
  ];
  for (const [pattern, path, expected] of cases) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${path}`, () => {
      assert.equal(compileGlob(pattern)(path), expected);
    });
  }

  it("rejects unbalanced braces and classes", () => {
    assert.throws(() => compileGlob("{a,b"), GlobPatternError);
    assert.throws(() => compileGlob("a}"), GlobPatternError);
    assert.throws(() => compileGlob("[ab"), GlobPatternError);
    assert.throws(() => compileGlob("a\\"), GlobPatternError);
    assert.throws(() => compileGlob("[a/b]"), GlobPatternError);
  });
});

describe("splitPattern, cleanPath", () => {
  it("splits at the last slash before the first wildcard", () => {
    assert.deepEqual(splitPattern("dist/**/*.js"), { base: "dist", pattern: "**/*.js" });
    assert.deepEqual(splitPattern("a/b/c*/d"), { base: "a/b", pattern: "c*/d" });
    assert.deepEqual(splitPattern("*.js"), { base: ".", pattern: "*.js" });
    assert.deepEqual(splitPattern("/abs/*.js"), { base: "/abs", pattern: "*.js" });
    assert.deepEqual(splitPattern("/*.js"), { base: "/", pattern: "*.js" });
    assert.deepEqual(splitPattern("a\\/b/*"), { base: "a\\/b", pattern: "*" });
  });

  it("cleans like Go's path.Clean", () => {
    const table: [string, string][] = [
      ["", "."],
      ["build/", "build"],
      ["./a//b/./c/", "a/b/c"],
      ["a/../b", "b"],
      ["../x", "../x"],
      ["a/../../x", "../x"],
      ["/a/../../x", "/x"],
    ];
    for (const [input, output] of table) assert.equal(cleanPath(input), output, input);
  });
});

describe("glob on the filesystem", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  writeTree(dir, {
    "a.txt": "1",
    ".env": "2",
    "src/x.js": "3",
    "src/lib/y.js": "4",
    "src/.cache/z.js": "5",
    "empty/": "",
    "outside-link": "->/etc",
    linkdir: "->src",
    "build (1)/out.txt": "6",
  });

  const table: [pattern: string, expected: string[]][] = [
    ["*", [".env", "a.txt", "build (1)", "empty", "linkdir", "outside-link", "src"]],
    ["src", ["src"]],
    ["src/**/*.js", ["src/.cache/z.js", "src/lib/y.js", "src/x.js"]],
    ["**/y.js", ["src/lib/y.js"]],
    ["src/**", ["src", "src/.cache", "src/.cache/z.js", "src/lib", "src/lib/y.js", "src/x.js"]],
    ["linkdir/**/*.js", ["linkdir/.cache/z.js", "linkdir/lib/y.js", "linkdir/x.js"]],
    ["{a.txt,.env}", [".env", "a.txt"]],
    ["missing/*", []],
    ["outside-link", ["outside-link"]],
    [
      "linkdir/**",
      [
        "linkdir",
        "linkdir/.cache",
        "linkdir/.cache/z.js",
        "linkdir/lib",
        "linkdir/lib/y.js",
        "linkdir/x.js",
      ],
    ],
    ["*/x.js", ["src/x.js"]],
    ["build (1)/*.txt", ["build (1)/out.txt"]],
    ["*(1)/out.txt", ["build (1)/out.txt"]],
    ["src/\\*.js", []],
  ];
  for (const [pattern, expected] of table) {
    it(`${pattern}`, async () => {
      assert.deepEqual((await glob(dir, pattern)).sort(), expected);
    });
  }

  it("does not descend into symlinked directories below a wildcard", async () => {
    const found = await glob(dir, "**/x.js");
    assert.deepEqual(found.sort(), ["src/x.js"]);
  });

  it("follows a symlink only in the literal part before the first wildcard (WithNoFollow)", async () => {
    const tree = tempDir();
    try {
      writeTree(tree.dir, { "pkg/real/a.js": "1", "pkg/lib": "->real" });
      assert.deepEqual(await glob(tree.dir, "pkg/lib/*.js"), ["pkg/lib/a.js"]);
      assert.deepEqual(await glob(tree.dir, "*/lib/*.js"), []);
      assert.deepEqual(await glob(tree.dir, "**/a.js"), ["pkg/real/a.js"]);
    } finally {
      tree.cleanup();
    }
  });
});
