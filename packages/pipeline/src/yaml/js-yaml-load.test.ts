import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf } from "../source-map.js";
import { buildNode, newBuildContext } from "./build-value.js";
import { findExcess } from "./deep-size.js";
import { loadWithJsYaml } from "./js-yaml-load.js";
import { nonStringKeyClass } from "./key-classes.js";
import { DEFAULT_YAML_LIMITS, type YamlLimits } from "./limits.js";
import { lineIndex } from "./line-index.js";
import { parseWithYamlPackage } from "./yaml-package-tree.js";

function fast(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS) {
  return loadWithJsYaml(newBuildContext(text, lineIndex(text, "ci.yml"), limits));
}

function slow(text: string): unknown {
  const parsed = parseWithYamlPackage(text, DEFAULT_YAML_LIMITS);
  assert.ok("root" in parsed, `the yaml package refuses ${JSON.stringify(text)}`);
  const ctx = newBuildContext(text, lineIndex(text, "ci.yml"), DEFAULT_YAML_LIMITS);
  return buildNode(ctx, parsed.root, 1);
}

/** Values, classes, key classes and every recorded position must agree. */
function assertSameLoad(actual: unknown, expected: unknown, path: string): void {
  assert.deepEqual(actual, expected, path);
  if (actual === null || typeof actual !== "object" || typeof expected !== "object") return;
  assert.equal(actual?.constructor, expected?.constructor, `${path}: class`);
  assert.deepEqual(positionOf(actual), positionOf(expected), `${path}: position`);
  const entries = Object.entries(actual as Record<string, unknown>);
  for (const [key, value] of entries) {
    const at: string | number = Array.isArray(actual) ? Number(key) : key;
    assert.deepEqual(positionOf(actual, at), positionOf(expected, at), `${path}.${key}: position`);
    if (!Array.isArray(actual)) {
      assert.equal(
        nonStringKeyClass(actual, key),
        nonStringKeyClass(expected as object, key),
        `${path}.${key}: key class`,
      );
    }
    assertSameLoad(value, (expected as Record<string, unknown>)[key], `${path}.${key}`);
  }
}

const SAME_AS_YAML_PACKAGE = [
  "# c\nbuild:\n  stage: test\n  script:\n    - make\n    -   make check\n",
  "a: [yes, No, on, OFF, y, n, ~, 0755, 0x1F, 1_000, 1:20, .inf, 1e3, 3.10, :sym, '0755']\n",
  "1: a\ntrue: b\n~: c\n1.0: d\n:sym: e\nyes: f\n'2': g\n__proto__: {x: 1}\n",
  "a: 1\nb: 2\na: 3\n",
  "a:\n  -\n  - x\n  - \n  -   # c\n  - !reference\nc: !reference\nd: !reference   \n",
  "- - a\n  - b\n- c\n",
  "x: &a\n  k: v\ny: *a\nz: &b [1, {c: d}]\nw: *b\n",
  ".base: &base {image: ruby, stage: build}\njob:\n  stage: test\n  <<: *base\n  script: x\n",
  "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  '<<': {w: 1}\n",
  "a:\n  <<: 1\nb:\n  !!str <<: {x: 1}\n",
  "a: !reference [x, y]\nb: !reference [x, 1]\nc: !reference x\nd: !reference {k: v}\n",
  "a: !custom {b: '12'}\nc: !foo '12'\nd: !!str 12\ne: ! 12\nf: !!float 1\ng: !!binary aGk=\n",
  "a: 'it''s'\nb: \"t\\tab \\u263A\"\nc: plain\n  folded\nd: |\n  l1\n\n  l2\ne: >-\n  f1\n  f2\n",
  "a: |\n  no final newline",
  "a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\nc: |\r\n  l1\r\n  l2\r\n",
  "a: {b: 1, c, : d}\ne: [f, g: h, [i]]\n",
  "a:\n  ? x\n  : 1\n  ? y\n",
  "&r\nk: v\n",
  "- !!str k: x\n- &q k: y\n",
  "v:\n  !!str k: x\n",
  "a: &x\n  !foo text\nb: *x\n",
  "a: x # comment\n# another\nb: [1, # c\n  2]\n",
  'top:\n  - name: a\n    rules:\n      - if: $X == "1"\n        when: never\n      - when: always\n',
];

test("js-yaml loads as the yaml package does, positions included", () => {
  for (const text of SAME_AS_YAML_PACKAGE) {
    const loaded = fast(text);
    assert.ok(loaded, `js-yaml leaves ${JSON.stringify(text)} to the yaml package`);
    assertSameLoad(loaded.value, slow(text), JSON.stringify(text));
  }
});

test("what the fast path leaves to the yaml package", () => {
  for (const text of [
    "\ufeffa: 1\n", // a byte order mark moves js-yaml's offsets
    "a: 1\rb: 2\n", // a lone carriage return
    "---j: 1\n", // js-yaml reads a document start
    "a: 'y'#c\n", // a comment without white space before it
    "a: [x,#c\n  y]\n",
    "r: &b{ s: r }\n", // an anchor run into the next token
    "a: !|x y\n", // a tag libyaml does not read
    "a: 1\n...\nb: 2\n", // more than one document
    "k:\n-\n  - x\n  -\n- y\n", // js-yaml gives `y` to the inner list
    "a: !!omap [{x: 1}]\n",
    "a: !t b: c\n", // a mapping on its parent key's line
    "x:\n  y: 1\n  [k]: 2\n", // a collection as a key
    "i: '/a\nb'\n", // a quoted scalar back at its parent's column
    "a: 2024-01-01\n", // refused by Psych: the yaml package path words it
    "a: *nope\n",
    "a: &a {b: *a}\n",
  ]) {
    assert.equal(fast(text), undefined, JSON.stringify(text));
  }
});

test("the size measured while loading is DeepSize's", () => {
  for (const text of SAME_AS_YAML_PACKAGE) {
    const loaded = fast(text);
    if (!loaded?.measured) continue;
    const start = { file: "ci.yml", line: 1, column: 1 };
    let low = 0;
    let high = 1 << 20;
    while (low < high) {
      const middle = (low + high) >> 1;
      const limits = { ...DEFAULT_YAML_LIMITS, maxBytes: middle };
      if (findExcess(loaded.value, limits, start)) low = middle + 1;
      else high = middle;
    }
    assert.ok(fast(text, { ...DEFAULT_YAML_LIMITS, maxBytes: low })?.measured, text);
    assert.equal(fast(text, { ...DEFAULT_YAML_LIMITS, maxBytes: low - 1 }), undefined, text);
  }
});
