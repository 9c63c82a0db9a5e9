import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf } from "../source-map.js";
import { loadYaml, nonStringKeyClass, ReferenceTag, YamlSymbol } from "./index.js";

async function load(text: string) {
  const loaded = await loadYaml(text, "ci.yml");
  assert.deepEqual(loaded.diagnostics, [], `unexpected diagnostics for ${JSON.stringify(text)}`);
  return loaded.value as Record<string, unknown>;
}

async function only(text: string, limits?: Parameters<typeof loadYaml>[2]) {
  const loaded = await loadYaml(text, "ci.yml", limits);
  assert.equal(loaded.value, undefined);
  assert.equal(loaded.diagnostics.length, 1);
  const [diagnostic] = loaded.diagnostics;
  assert.ok(diagnostic);
  return diagnostic;
}

test("records where mappings, sequences, keys and items start", async () => {
  const value = await load(
    "# c\nbuild:\n  stage: test\n  script:\n    - make\n    -   make check\n",
  );
  const build = value.build as Record<string, unknown>;
  const script = build.script as unknown[];
  assert.deepEqual(positionOf(value, "build"), { file: "ci.yml", line: 2, column: 1 });
  assert.deepEqual(positionOf(build), { file: "ci.yml", line: 3, column: 3 });
  assert.deepEqual(positionOf(build, "script"), { file: "ci.yml", line: 4, column: 3 });
  assert.deepEqual(positionOf(script, 1), { file: "ci.yml", line: 6, column: 9 });
});

test("positions in the configuration document count the header's lines", async () => {
  const loaded = await loadYaml("spec:\n  inputs:\n    env:\n---\njob:\n  script: x\n", "ci.yml");
  const job = (loaded.value as Record<string, Record<string, unknown>>).job;
  assert.deepEqual(positionOf(job, "script"), { file: "ci.yml", line: 6, column: 3 });
});

test("reads YAML 1.1 scalars as Psych does", async () => {
  const value = await load(
    "a: [yes, No, on, OFF, y, n, ~, 0755, 0x1F, 1_000, 1:20, .inf, 1e3, 3.10, :sym, '0755']\n",
  );
  assert.deepEqual(value.a, [
    true,
    false,
    true,
    false,
    "y",
    "n",
    null,
    493,
    31,
    1000,
    4800,
    Number.POSITIVE_INFINITY,
    "1e3",
    3.1,
    new YamlSymbol("sym"),
    "0755",
  ]);
});

test("keys are to_s of the loaded key, and remember when they were not strings", async () => {
  const value = await load("1: a\ntrue: b\n~: c\n1.0: d\n:sym: e\nyes: f\n'2': g\n");
  assert.deepEqual(Object.keys(value).sort(), ["", "1", "1.0", "2", "sym", "true"]);
  assert.equal(value.true, "f");
  assert.equal(nonStringKeyClass(value, "1"), "Integer");
  assert.equal(nonStringKeyClass(value, "true"), "TrueClass");
  assert.equal(nonStringKeyClass(value, ""), "NilClass");
  assert.equal(nonStringKeyClass(value, "1.0"), "Float");
  assert.equal(nonStringKeyClass(value, "sym"), undefined);
  assert.equal(nonStringKeyClass(value, "2"), undefined);
});

test("a __proto__ key is an own property", async () => {
  const value = await load("__proto__:\n  polluted: true\n");
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.hasOwn(value, "__proto__"));
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("duplicate keys: the last one wins", async () => {
  assert.deepEqual(await load("a: 1\na: 2\n"), { a: 2 });
});

test("aliases copy the anchored value", async () => {
  const value = await load("x: &list [a, {b: 1}]\ny: *list\n");
  assert.deepEqual(value.y, ["a", { b: 1 }]);
  assert.notEqual(value.y, value.x);
  assert.deepEqual(positionOf((value.y as unknown[])[1], "b"), {
    file: "ci.yml",
    line: 1,
    column: 15,
  });
});

test("merge keys follow Psych: merged keys overwrite earlier keys, later keys win", async () => {
  const value = await load(
    ".base: &base {image: ruby, stage: build}\n" +
      "job:\n  stage: test\n  <<: *base\n  script: x\n" +
      "late:\n  <<: *base\n  stage: deploy\n",
  );
  assert.deepEqual(value.job, { stage: "build", image: "ruby", script: "x" });
  assert.deepEqual(value.late, { image: "ruby", stage: "deploy" });
  assert.deepEqual(positionOf(value.job, "image"), { file: "ci.yml", line: 1, column: 15 });
});

test("a list of merges: earlier mappings win", async () => {
  const value = await load("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n");
  assert.deepEqual(value.c, { y: 1, z: 2, x: 1 });
});

test("a << that cannot merge stays a key, as in Psych", async () => {
  assert.deepEqual(await load("a:\n  <<: 1\n"), { a: { "<<": 1 } });
  assert.deepEqual(await load("a:\n  <<: [{x: 1}, 2]\n"), { a: { "<<": [{ x: 1 }, 2] } });
  assert.deepEqual(await load("a:\n  !!str <<: {x: 1}\n"), { a: { "<<": { x: 1 } } });
  assert.deepEqual(await load("a:\n  '<<': {x: 1}\n"), { a: { x: 1 } });
});

test("an unknown alias fails with Psych's message", async () => {
  const diagnostic = await only("a: 1\nb: *nope\n");
  assert.equal(diagnostic.message, "Unknown alias: nope");
  assert.deepEqual([diagnostic.line, diagnostic.column], [2, 4]);
});

test("anchors do not cross the --- divider", async () => {
  assert.equal((await only("spec: &s {a: 1}\n---\njob: *s\n")).message, "Unknown alias: s");
});

test("!reference loads as a ReferenceTag with its position", async () => {
  const value = await load("job:\n  script:\n    - !reference [.setup, script]\n    - echo\n");
  const script = (value.job as Record<string, unknown[]>).script ?? [];
  const tag = script[0];
  assert.ok(tag instanceof ReferenceTag);
  assert.deepEqual(tag.path, [".setup", "script"]);
  assert.equal(tag.invalid, undefined);
  assert.deepEqual(tag.position, { file: "ci.yml", line: 3, column: 18 });
});

test("a malformed !reference loads and keeps GitLab's rendering for later", async () => {
  const value = await load(
    "a: !reference [x, 1]\nb: !reference foo\nc: !reference\nd: !reference {k: v}\n",
  );
  const invalid = Object.values(value).map((tag) => (tag as ReferenceTag).invalid);
  assert.deepEqual(invalid, ['["x", 1]', '"foo"', "nil", '{"k"=>"v"}']);
});

test("unknown tags are ignored; class tags fail as in Psych", async () => {
  assert.deepEqual(await load("a: !custom {b: '12'}\nc: !foo '12'\nd: !!str 12\n"), {
    a: { b: "12" },
    c: 12,
    d: "12",
  });
  assert.equal(
    (await only("a: !ruby/object:Foo {}\n")).message,
    "Tried to load unspecified class: Foo",
  );
  assert.equal(
    (await only("a: !!set {x}\n")).message,
    "Tried to load unspecified class: Psych::Set",
  );
});

test("a date fails with Psych's message at the scalar", async () => {
  const diagnostic = await only("job:\n  when: 2024-01-01\n");
  assert.equal(diagnostic.message, "Tried to load unspecified class: Date");
  assert.deepEqual([diagnostic.file, diagnostic.line, diagnostic.column], ["ci.yml", 2, 9]);
});

test("a syntax error names the problem and its line and column", async () => {
  const diagnostic = await only("job:\n  script: echo\n  stage: a: b\n");
  assert.equal(
    diagnostic.message,
    "mapping values are not allowed in this context at line 3 column 10",
  );
  assert.deepEqual([diagnostic.line, diagnostic.column], [3, 10]);
  assert.match((await only("a: 'open\n")).message, /quoted scalar at line \d+ column \d+$/);
});

test("a syntax error in the second document is positioned in the file", async () => {
  const diagnostic = await only("spec:\n  inputs: {}\n---\njob:\n\tscript: x\n");
  assert.equal(diagnostic.line, 5);
});

test("a root that is not a mapping is an invalid configuration format", async () => {
  for (const text of ["- a\n- b\n", "just text\n", "42\n"]) {
    assert.equal((await only(text)).message, "Invalid configuration format");
  }
});

test("an empty file loads as an empty mapping", async () => {
  assert.deepEqual(await load(""), {});
  assert.deepEqual(await load("# only a comment\n"), {});
});

test("a header document: spec first, configuration last", async () => {
  const loaded = await loadYaml("spec:\n  inputs:\n    env:\n---\njob:\n  script: x\n", "ci.yml");
  assert.deepEqual(loaded.header, { spec: { inputs: { env: null } } });
  assert.deepEqual(loaded.value, { job: { script: "x" } });
});

test("without spec the first document is the configuration and the second is ignored", async () => {
  const loaded = await loadYaml("a: 1\n---\nb: 2\n", "ci.yml");
  assert.equal(loaded.header, undefined);
  assert.deepEqual(loaded.value, { a: 1 });
});

test("more than two documents: GitLab splits into three pieces and takes the last", async () => {
  const loaded = await loadYaml("spec: {}\n---\nb: 2\n---\nc: 3\n---\nd: 4\n", "ci.yml");
  assert.deepEqual(loaded.header, { spec: {} });
  assert.deepEqual(loaded.value, { c: 3 });
});

test("every document must be a mapping, empty ones are dropped", async () => {
  assert.equal((await only("a: b\n---\nc\n")).message, "Invalid configuration format");
  assert.deepEqual(await load("---\na: 1\n---\n"), { a: 1 });
});

test("a block scalar ending the file without a newline has no final newline", async () => {
  assert.deepEqual(await load("a: |\n  echo hi"), { a: "echo hi" });
  assert.deepEqual(await load("a: |\n  echo hi\n"), { a: "echo hi\n" });
});

test("a billion-laughs document is refused quickly", async () => {
  const lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level <= 10; level++) {
    const refs = Array.from({ length: 10 }, () => `*l${level - 1}`).join(",");
    lines.push(`l${level}: &l${level} [${refs}]`);
  }
  const started = Date.now();
  const diagnostic = await only(`${lines.join("\n")}\n`);
  assert.equal(diagnostic.message, "The parsed YAML is too big");
  assert.equal(diagnostic.file, "ci.yml");
  assert.ok(Date.now() - started < 2000, "took too long");
});

test("the alias expansion limit refuses on its own", async () => {
  const text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n";
  assert.deepEqual((await load(text)).b, [
    [1, 2, 3],
    [1, 2, 3],
    [1, 2, 3],
  ]);
  const diagnostic = await only(text, { maxAliasExpansion: 10 });
  assert.equal(diagnostic.message, "The parsed YAML is too big");
  assert.equal(diagnostic.line, 2);
});

test("an alias to the anchor being built is refused, not followed forever", async () => {
  assert.equal((await only("a: &a {b: *a}\n")).message, "The parsed YAML is too big");
});

test("depth: 100 nested levels load, 101 do not", async () => {
  const nested = (levels: number) => `a: ${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}\n`;
  assert.ok(await load(nested(100)));
  const diagnostic = await only(nested(101));
  assert.equal(diagnostic.message, "The parsed YAML is too big");
  assert.equal(diagnostic.line, 1);
});

test("very deep nesting is refused without exhausting the stack", async () => {
  const depth = 100_000;
  const diagnostic = await only(`a: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
  assert.equal(diagnostic.message, "The parsed YAML is too big");
});

test("size: the estimated in-memory size is measured against maxBytes", async () => {
  const text = `script:\n${Array.from({ length: 2000 }, (_, i) => `  - echo ${i}\n`).join("")}`;
  assert.ok(await load(text));
  assert.equal((await only(text, { maxBytes: 50_000 })).message, "The parsed YAML is too big");
  const big = `script:\n${Array.from({ length: 60_000 }, (_, i) => `  - echo ${i}\n`).join("")}`;
  assert.equal((await only(big)).message, "The parsed YAML is too big");
});

test("an anchor named again inside its own node: the alias names the inner one, as in Psych", async () => {
  // Psych registers a mapping or list as it starts building it, so the inner anchor, registered
  // later, is the one an alias after both finds.
  assert.deepEqual(await load("a: &x\n  b: &x 1\nc: *x\n"), { a: { b: 1 }, c: 1 });
  assert.deepEqual(await load("a: &x [1, &x 2]\nc: *x\n"), { a: [1, 2], c: 2 });
  assert.deepEqual(await load("a: &x 1\nb: &x 2\nc: *x\n"), { a: 1, b: 2, c: 2 });
});
