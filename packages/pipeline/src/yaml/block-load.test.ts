/**
 * The block reader against the js-yaml path, text by text: wherever `loadBlockYaml` gives a
 * result, `loadWithJsYaml` must give the same one (values, classes, key order, every recorded
 * position, key classes, anchors, counters, start and `measured`). The texts: every YAML file of
 * the repository and of the shared conformance and seed pipelines, the planning benchmark's
 * generated pipeline, hand-written cases, and mutations of them all.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { entryPosition, positionOf } from "../source-map.js";
import { loadBlockYaml } from "./block-load.js";
import { type BuildContext, newBuildContext } from "./build-value.js";
import { loadWithJsYaml } from "./js-yaml-load.js";
import { nonStringKeyClass } from "./key-classes.js";
import { DEFAULT_YAML_LIMITS, type YamlLimits } from "./limits.js";
import { lineIndex } from "./line-index.js";
import { ReferenceTag } from "./reference-tag.js";
import { splitDocuments } from "./split-documents.js";
import { YamlSymbol } from "./yaml-symbol.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", "dist", ".cache"]);

function yamlFiles(directory: string, out: string[] = []): string[] {
  if (!existsSync(directory)) return out;
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (SKIPPED_DIRECTORIES.has(entry) || relative(ROOT, path) === join("bench", ".peer")) continue;
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (entry.endsWith(".yml") || entry.endsWith(".yaml")) out.push(path);
  }
  return out;
}

/** The pieces of each file, as load-yaml.ts splits them. */
function piecesOf(files: string[]): string[] {
  return files.flatMap((file) => splitDocuments(readFileSync(file, "utf8")).map((p) => p.text));
}

const generated = mkdtempSync(join(tmpdir(), "conveyor-block-load-"));
after(() => rmSync(generated, { recursive: true, force: true }));
execFileSync(process.execPath, [join(ROOT, "bench", "generate.mjs"), "--out", generated], {
  stdio: "ignore",
});
const BENCHMARK = piecesOf(yamlFiles(generated));
const CORPUS = piecesOf([
  ...yamlFiles(ROOT),
  ...yamlFiles("/work/shared/conformance"),
  ...yamlFiles("/work/shared/design/seed-pipelines"),
]);

interface Loads {
  block: ReturnType<typeof loadBlockYaml>;
  js: ReturnType<typeof loadWithJsYaml>;
  blockContext: BuildContext;
  jsContext: BuildContext;
}

function loadBoth(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): Loads {
  const at = lineIndex(text, "ci.yml");
  const blockContext = newBuildContext(text, at, limits);
  const jsContext = newBuildContext(text, at, limits);
  const block = loadBlockYaml(blockContext);
  const js = loadWithJsYaml(jsContext);
  return { block, js, blockContext, jsContext };
}

/** Walks two loaded values in parallel; objects must pair up one to one (same sharing). */
class SameLoad {
  private readonly pairs = new Map<object, object>();
  private readonly reverse = new Map<object, object>();

  constructor(private readonly text: string) {}

  private where(path: string): string {
    return `${path} in ${JSON.stringify(this.text.slice(0, 400))}`;
  }

  check(actual: unknown, expected: unknown, path: string): void {
    if (actual === null || typeof actual !== "object") {
      assert.ok(Object.is(actual, expected), `${this.where(path)}: ${actual} vs ${expected}`);
      return;
    }
    assert.ok(expected !== null && typeof expected === "object", `${this.where(path)}: object`);
    const proto = Object.getPrototypeOf(actual);
    assert.equal(proto, Object.getPrototypeOf(expected), `${this.where(path)}: class`);
    const paired = this.pairs.get(actual);
    if (paired !== undefined || this.reverse.has(expected)) {
      assert.equal(paired, expected, `${this.where(path)}: shared objects`);
      return;
    }
    this.pairs.set(actual, expected);
    this.reverse.set(expected, actual);
    if (actual instanceof ReferenceTag || actual instanceof YamlSymbol) {
      assert.deepEqual(actual, expected, this.where(path));
      return;
    }
    assert.deepEqual(positionOf(actual), positionOf(expected), `${this.where(path)}: position`);
    const other = expected as Record<string, unknown>;
    if (Array.isArray(actual)) {
      assert.equal(actual.length, (other as unknown as unknown[]).length, this.where(path));
      actual.forEach((item, index) => {
        const at = `${path}[${index}]`;
        const position = entryPosition(actual, index);
        assert.ok(position, `${this.where(at)}: no position`);
        assert.deepEqual(position, entryPosition(other, index), `${this.where(at)}: position`);
        this.check(item, other[index], at);
      });
      return;
    }
    const hash = actual as Record<string, unknown>;
    const keys = Object.getOwnPropertyNames(hash);
    assert.deepEqual(keys, Object.getOwnPropertyNames(other), `${this.where(path)}: keys`);
    for (const key of keys) {
      const at = `${path}.${key}`;
      const descriptor = Object.getOwnPropertyDescriptor(hash, key);
      const { value: _a, ...flags } = descriptor ?? {};
      const { value: _b, ...otherFlags } = Object.getOwnPropertyDescriptor(other, key) ?? {};
      assert.deepEqual(flags, otherFlags, `${this.where(at)}: property`);
      assert.deepEqual(entryPosition(hash, key), entryPosition(other, key), this.where(at));
      assert.deepEqual(positionOf(hash, key), positionOf(other, key), this.where(at));
      const keyClass = nonStringKeyClass(hash, key);
      assert.equal(keyClass, nonStringKeyClass(other, key), `${this.where(at)}: key class`);
      this.check(hash[key], other[key], at);
    }
  }
}

/**
 * Loads `text` both ways; when the block reader gives a result, asserts js-yaml's is the same.
 * True when the block reader took the text.
 */
function assertAgrees(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): boolean {
  const { block, js, blockContext, jsContext } = loadBoth(text, limits);
  if (!block) return false;
  const shown = JSON.stringify(text.slice(0, 400));
  assert.ok(js, `js-yaml refuses what the block reader accepts: ${shown}`);
  assert.equal(block.start, js.start, `start of ${shown}`);
  assert.equal(block.measured, js.measured, `measured of ${shown}`);
  const same = new SameLoad(text);
  same.check(block.value, js.value, "$");
  assert.equal(blockContext.copied, jsContext.copied, `copies in ${shown}`);
  assert.deepEqual(blockContext.tooBig, jsContext.tooBig, `tooBig of ${shown}`);
  const names = [...blockContext.anchors.keys()].sort();
  assert.deepEqual(names, [...jsContext.anchors.keys()].sort(), `anchors of ${shown}`);
  for (const name of names) {
    const mine = blockContext.anchors.get(name);
    const theirs = jsContext.anchors.get(name);
    assert.equal(mine?.building, theirs?.building, `anchor ${name} of ${shown}`);
    assert.equal(mine?.height, theirs?.height, `height of anchor ${name} of ${shown}`);
    assert.equal(mine?.size, theirs?.size, `size of anchor ${name} of ${shown}`);
    same.check(mine?.value, theirs?.value, `&${name}`);
  }
  return true;
}

/** Texts the block reader must take, each the same as js-yaml's reading. */
const ACCEPTED = [
  "# c\nbuild:\n  stage: test\n  script:\n    - make\n    -   make check\n",
  "a: [yes, No, on, OFF, y, n, ~, 0755, 0x1F, 1_000, 1:20, .inf, 1e3, 3.10, '0755', -.5]\n",
  "1: a\ntrue: b\n~: c\n1.0: d\nyes: f\n'2': g\n__proto__: {x: 1}\nnull: h\n0x10: i\n",
  "a: 1\nb: 2\na: 3\n1: x\n'1': y\n",
  "a:\n  -\n  - x\n  - \n  -   # c\nb: 1\n",
  "- - a\n  - b\n- c\n- - - d\n",
  "x: &a\n  k: v\ny: *a\nz: &b [1, {c: d}]\nw: *b\n",
  ".base: &base {image: ruby, stage: build}\njob:\n  stage: test\n  <<: *base\n  script: x\n",
  "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  '<<': {w: 1}\n  x: 9\n",
  "a:\n  <<: 1\nb:\n  <<:\nc:\n  <<: [1]\n",
  "a: !reference [x, y]\nb: !reference [x, 1]\nc:\n  - !reference [.s, setup]\n  - x\n",
  "a: 'it''s'\nb: \"t\\tab \\u263A \\x41 \\U0001F600 \\\\ \\\" \\/ \\N \\_ \\0 \\e \\ \"\nc: plain\n",
  "a: |\n  l1\n\n  l2\nb: |-\n  x\n\nc: |+\n  y\n\n\nd: |\n\n    deep\n   \n    more\ne: |  # c\n  z\n",
  "a: |\n  no final newline",
  "a: |+\n  keep at end\n\n",
  "a: |-\n  strip at end\n  ",
  "a: |\n    x\n  # less indented comment\nb: 1\n",
  "a: |\nb: |+\n\nc: |-\n",
  "a:\n- x\n- y\nb:\n- c: 1\n  d: 2\n- e\n",
  "k: [a, 'b', \"c\", [d, e], {f: g}, []]\nm: {}\nn: {a: [1, 2], 'b': \"c\", 3: d}\n",
  "- key: value\n  other: 2\n-   spaced: x\n- 'q': 1\n- \"dq\": 2\n- k:\n  - same column\n  j: 1\n",
  "a: b#c\nd: e # comment\nf: 'g' # c\nh: [i] # c\n# end\n",
  "url: http://example.com:8080/x\ntime: 12:30\nneg: -1\nflt: -1.5\nsym: x:y\nlist: [a:b, c]\n",
  "",
  "# only a comment\n",
  "\n\n",
  "a:\n  # comment\n      # deeper comment\n  b: 1\n",
  "list:\n  - &x anchored\n  - *x\n  - &y [1]\n  - *y\n  - &z\n    k: v\n  - *z\n",
  "- |\n  literal item\n- |-\n  stripped\n- a: |\n    in map\n  b: 1\n",
  "a: ''\nb: \"\"\nc: ' spaced '\nd: 'a''''b'\n",
  "a:    \nb: ~\nc: null\nd: Null\ne: # comment\n",
  "'quoted key': 1\n\"dq key\": 2\nkey with spaces: 3\n\"esc\\tkey\": 4\n'spaced'  : 5\n",
  "- a\n- b\n",
  "a: &n 1\nb: *n\nc: &s text\nd: [*n, *s]\ne: {k: *s}\n",
  "a: &m\n  b: 1\n  c: [1, 2]\nd:\n  <<: *m\n  c: 3\ne:\n  c: 0\n  <<: *m\n",
  "a:\n  b:\n    c:\n      d: 1\n",
  "ключ: значение\nemoji: 😀 x\n'😀': [😀]\n",
  "m: {1: a, 1.0: b, true: c, ~: d}\n",
  "a: .inf\nb: -.inf\nc: .nan\nd: 1,000\ne: 0b101\nf: 1:20:30\ng: 1.5e+3\n",
  "a: &x |\n  anchored literal\nb: *x\n",
  "a: b\n\n\n\nc: d\n",
  "a: [ a , b ]\nb: { x: 1 , y: 2 }\n",
  'variables: &bar  # a comment\n  BAR: "2"\nx:\n  <<: *bar\n',
  "a: -x\nb: --y\n-c: d\n<<x: 1\n",
  "before_script:\n  - !reference [.scripts, setup]\nafter:\n  - !reference ['.q', \"dq\"]\n",
  "a:\n  - - x\n    - y\n  -\n    - z\n",
  "x: &a [1]\ny: &a {k: v}\nz: *a\n",
  "a: |\n x\nb:\n  - |\n   y\n  - c: |+\n     z\n",
  "__proto__: {x: 1}\na: 1\nm: {__proto__: [1]}\n",
  "x: &r\n  a: !reference [b, c]\ny: *r\n- 'q': 1\n  r: 2\n".replace("- ", "z:\n- "),
];

/** Texts the block reader must leave to the slower paths. */
const LEFT_ALONE = [
  "a:\tb\n",
  "a: b\r\n",
  "\ufeffa: b\n",
  "%YAML 1.1\n---\na: b\n",
  "a: b\n---\nc: d\n",
  "a: b\n...\n",
  "---x: 1\n",
  "? a\n: b\n",
  "[a]: b\n",
  "{a: b}: c\n",
  "&a a: 1\n",
  "*a: 1\n",
  "a: !!str 1\n",
  "a: !reference x\n",
  "a: >\n  folded\n",
  "a: |2\n   x\n",
  "a: |x\n  y\n",
  "a: b\n  c\n",
  "a: 'b\n  c'\n",
  "a: [b,\n  c]\n",
  'a: "\\q"\n',
  'a: "\\ud800"\n',
  "a: b: c\n",
  "a: b:\n",
  "a: - b\n",
  "a: 'b'#c\n",
  "a: [b]#c\n",
  "a: *unknown\n",
  "a: &x [*x]\n",
  "a: &x\n  b: *x\n",
  "x: &x 1\ny: &x [*x]\n",
  "x: &x 1\ny: &x\n  k: *x\n",
  "key: !tag other: value\n",
  "  a: 1\n",
  "a: 1\n b: 2\n",
  "a:\n    b: 1\n  c: 2\n",
  "a:\n  - x\n  b: 1\n",
  "- a\nb: 1\n",
  "a: x\u0085y\n",
  "a: x\u2028y\n",
  "a: 2024-01-01\n",
  "a: [b, ]\n",
  "a: [, b]\n",
  "a: {b}\n",
  "a: [b: c]\n",
  "a: {b:c}\n",
  "scalar only\n",
  "a: @x\n",
  "a: `x`\n",
  "a: %x\n",
  "a: ?x\n",
  ":a: b\n",
  "a: &x\nb: 1\n",
  "- &a\n- *a\n",
  "a: &x *y\n",
  `${"k".repeat(1500)}: v\n`,
  `'${"k".repeat(1500)}': v\n`,
  "a: |\n\n      deeper blank line\n    content\n",
  "a:\n  foo\n",
  "a: [b]\n  c: d\n",
  "a: x\nb:\n- y\n  - z\n",
  "- - -\n- x\n",
  "a: &x\n  b: &x 1\nc: *x\n",
  "- &x\n  - &x q\n- *x\n",
  "a:\n  - - # c\n  - x\n",
];

test("the block reader takes each construct of the subset, as js-yaml reads it", () => {
  for (const text of ACCEPTED) {
    assert.ok(assertAgrees(text), `left alone: ${JSON.stringify(text)}`);
  }
});

test("the block reader leaves what it does not read to the slower paths", () => {
  for (const text of LEFT_ALONE) {
    assert.equal(loadBoth(text).block, undefined, `taken: ${JSON.stringify(text)}`);
  }
});

test("over a limit, the block reader and js-yaml both leave the piece to the `yaml` package", () => {
  const cases: Array<[string, Partial<YamlLimits>]> = [
    ["a:\n  b:\n    c: 1\n", { maxDepth: 2 }],
    ["a: [[[1]]]\n", { maxDepth: 3 }],
    ["a: {b: [1]}\n", { maxDepth: 2 }],
    [`a:\n${"  - some text long enough\n".repeat(200)}`, { maxBytes: 4000 }],
    ["a: &a [1, 2, 3]\nb: [*a, *a, *a, *a]\n", { maxAliasExpansion: 10 }],
  ];
  // At the limits exactly, both take the piece.
  assert.ok(assertAgrees("a:\n  b: [1]\n", { ...DEFAULT_YAML_LIMITS, maxDepth: 3 }));
  assert.ok(
    assertAgrees("a: &a [1]\nb: [*a, *a]\n", { ...DEFAULT_YAML_LIMITS, maxAliasExpansion: 4 }),
  );
  for (const [text, limits] of cases) {
    const effective = { ...DEFAULT_YAML_LIMITS, ...limits };
    const { block, js } = loadBoth(text, effective);
    assert.equal(block, undefined, `taken: ${JSON.stringify(text)}`);
    assert.equal(js, undefined, `js-yaml takes ${JSON.stringify(text)}`);
    // Within the default limits both take it, the same way.
    assert.ok(assertAgrees(text), `left alone: ${JSON.stringify(text)}`);
  }
});

test("the block reader takes every piece of the planning benchmark's pipeline", () => {
  assert.ok(BENCHMARK.length >= 20, `only ${BENCHMARK.length} pieces generated`);
  for (const text of BENCHMARK) {
    assert.ok(assertAgrees(text), `left alone: ${JSON.stringify(text.slice(0, 200))}`);
  }
});

test("the block reader takes nearly every YAML file of the repository and the shared corpus", () => {
  let taken = 0;
  for (const text of CORPUS) if (assertAgrees(text)) taken++;
  // 98.7% when written (797 of 807 pieces); the rest use multi-line scalars and the like.
  const share = taken / CORPUS.length;
  assert.ok(CORPUS.length >= 100, `only ${CORPUS.length} pieces found`);
  assert.ok(share >= 0.95, `the block reader took ${taken} of ${CORPUS.length} pieces`);
});

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INSERTIONS = [
  ": ",
  ":",
  " #",
  "#",
  "'",
  '"',
  "- ",
  "-",
  "&a ",
  "*a",
  " *b",
  "|",
  "|-\n",
  "[",
  "]",
  "{",
  "}",
  ",",
  "\\",
  "!reference ",
  "? ",
  "~",
  " ",
  "  ",
  "\n",
  "\n  ",
  "\t",
  "---",
  "...",
  "\u0085",
  "<<: *a\n",
  "!!str ",
  ">",
  "%",
  "@",
];

const VALUES = [
  "*a",
  "*b",
  "&c x",
  "&c",
  "|",
  "|+",
  "[a, *a]",
  "[*a, *b]",
  "{<<: *a}",
  "'x'",
  '"x\\n"',
  "!reference [a, b]",
  "1.0",
  "~",
  "",
  "- x",
  "x: y",
  "[]",
  "{}",
  "2024-01-01",
  ":sym",
  "&d [1, &e x, *e]",
];

const ANCHORS = ".a: &a {x: 1, y: [2]}\n.b: &b\n  z: 3\n";

/** Variations of `text`: truncated, re-indented, with tokens inserted, lines copied or joined. */
function mutations(text: string, next: () => number): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  const pick = () => Math.floor(next() * lines.length);
  const withLine = (index: number, line: string) =>
    [...lines.slice(0, index), line, ...lines.slice(index + 1)].join("\n");
  for (let round = 0; round < Math.min(lines.length, 6); round++) {
    const index = pick();
    const line = lines[index] ?? "";
    out.push(lines.slice(0, index + 1).join("\n"));
    out.push(`${lines.slice(0, index + 1).join("\n")}\n`);
    out.push(withLine(index, ` ${line}`));
    out.push(withLine(index, line.replace(/^ /, "")));
    out.push(withLine(index, `  ${line}`));
    const column = Math.floor(next() * (line.length + 1));
    const token = INSERTIONS[Math.floor(next() * INSERTIONS.length)] ?? "";
    out.push(withLine(index, line.slice(0, column) + token + line.slice(column)));
    const colon = line.indexOf(": ");
    const value = VALUES[Math.floor(next() * VALUES.length)] ?? "";
    if (colon >= 0) out.push(ANCHORS + withLine(index, `${line.slice(0, colon + 2)}${value}`));
    const dash = line.indexOf("- ");
    if (dash >= 0) out.push(ANCHORS + withLine(index, `${line.slice(0, dash + 2)}${value}`));
    out.push([...lines.slice(0, index + 1), line, ...lines.slice(index + 1)].join("\n"));
    out.push([...lines.slice(0, index), ...lines.slice(index + 1)].join("\n"));
    out.push(
      lines.slice(0, index).join("\n") + (index > 0 ? " " : "") + lines.slice(index).join("\n"),
    );
  }
  return out;
}

test("mutated files: whatever the block reader takes, js-yaml reads the same way", () => {
  const next = random(20240611);
  let taken = 0;
  let left = 0;
  const sources = [...ACCEPTED, ...LEFT_ALONE, ...CORPUS, ...BENCHMARK.slice(0, 8)];
  for (const source of sources) {
    for (const text of mutations(source, next)) {
      if (assertAgrees(text)) taken++;
      else left++;
    }
  }
  // Both decisions are exercised: neither side may be a handful.
  const total = taken + left;
  assert.ok(taken > total / 5, `taken ${taken} of ${total}`);
  assert.ok(left > total / 10, `left alone ${left} of ${total}`);
});

const GENERATED_SCALARS = [
  ...["a", "b c", "1", "1.0", "~", "", "yes", "'q'", "'it''s'", '"d\\tq"', "x:y", "-1", "<<"],
  ...["*a", "*b", "*c", "&c v", "[a, *a]", "{k: v}", "[]", "{}", "!reference [x, y]", "a#b"],
  ...["a # c", "http://x:1", ".5", "0x10", "null", ":s", "'<<'", "&c [1]", "[*a, *b]"],
];
const GENERATED_KEYS = ["a", "b", "c", "<<", "'<<'", "1", "1.0", "~", "'k'", '"k"', "x y", "true"];
const LITERAL_LINES = ["x", "# not a comment", "- y", "k: v"];

/**
 * Random documents of block collections nested with uneven indentation (compact and
 * same-column sequences, empty items and values, comments and blank lines anywhere, anchors,
 * aliases, merges, literal scalars with odd content indentation), in YAML or nearly.
 */
class DocumentMaker {
  constructor(private readonly next: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** What follows a key's `:` or an item's `-` on its line; later lines go to `lines`. */
  private node(indent: number, lines: string[], depth: number): string {
    const choice = this.next();
    if (depth > 3 || choice < 0.4) {
      const scalar = this.pick(GENERATED_SCALARS);
      return scalar === "" ? "" : ` ${scalar}`;
    }
    if (choice < 0.5) {
      const column = indent + 1 + Math.floor(this.next() * 3);
      for (let count = Math.floor(this.next() * 4); count > 0; count--) {
        const blank = this.next() < 0.2;
        const spaces = blank ? Math.floor(this.next() * (column + 3)) : column;
        lines.push(" ".repeat(spaces) + (blank ? "" : this.pick(LITERAL_LINES)));
      }
      return ` ${this.pick(["|", "|-", "|+", "| # c"])}`;
    }
    const anchor = this.next() < 0.15 ? ` &${this.pick(["a", "b", "c", "d"])}` : "";
    this.block(indent + this.pick([0, 1, 2, 2, 3, 4]), lines, depth + 1, this.next() < 0.5);
    return anchor + (this.next() < 0.1 ? " # c" : "");
  }

  block(indent: number, lines: string[], depth: number, sequence: boolean): void {
    const pad = " ".repeat(indent);
    for (let count = 1 + Math.floor(this.next() * 3); count > 0; count--) {
      if (this.next() < 0.1) lines.push(`${" ".repeat(Math.floor(this.next() * 6))}# c`);
      const later: string[] = [];
      if (!sequence) {
        const inline = this.node(indent, later, depth);
        lines.push(`${pad}${this.pick(GENERATED_KEYS)}:${inline}`, ...later);
      } else if (this.next() < 0.2) {
        const inline = this.node(indent + 2, later, depth + 1);
        lines.push(`${pad}- ${this.pick(GENERATED_KEYS)}:${inline}`, ...later);
      } else if (this.next() < 0.1) {
        lines.push(`${pad}- - ${this.pick(GENERATED_SCALARS)}`, `${pad}  - x`);
      } else {
        const inline = this.node(indent, later, depth);
        lines.push(`${pad}-${inline}`, ...later);
      }
    }
  }
}

test("random documents: whatever the block reader takes, js-yaml reads the same way", () => {
  const maker = new DocumentMaker(random(7));
  let taken = 0;
  const total = 20000;
  for (let count = 0; count < total; count++) {
    const lines = [".a: &a {x: 1}", ".b: &b [1]"];
    maker.block(0, lines, 0, false);
    if (assertAgrees(`${lines.join("\n")}\n`)) taken++;
  }
  assert.ok(taken > total / 5, `taken ${taken} of ${total}`);
  assert.ok(taken < total - total / 10, `taken ${taken} of ${total}`);
});
