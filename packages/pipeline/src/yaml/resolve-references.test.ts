import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf } from "../source-map.js";
import { loadYaml, ReferenceTag, resolveReferences } from "./index.js";

async function resolve(text: string) {
  const loaded = await loadYaml(text, "ci.yml");
  assert.deepEqual(loaded.diagnostics, []);
  return resolveReferences(loaded.value as Record<string, unknown>, "ci.yml");
}

async function resolved(text: string): Promise<Record<string, unknown>> {
  const { value, diagnostics } = await resolve(text);
  assert.deepEqual(diagnostics, []);
  return value;
}

test("a reference is replaced by a copy of the referenced value", async () => {
  const value = await resolved(
    ".vars:\n  variables:\n    URL: http://x\n    IMPORTANT: yes\n" +
      "job:\n  variables: !reference [.vars, variables]\n" +
      "one:\n  variables:\n    MY: !reference [.vars, variables, URL]\n",
  );
  const vars = value[".vars"] as Record<string, unknown>;
  const job = value.job as Record<string, unknown>;
  assert.deepEqual(job.variables, { URL: "http://x", IMPORTANT: true });
  assert.notEqual(job.variables, vars.variables);
  assert.deepEqual((value.one as Record<string, unknown>).variables, { MY: "http://x" });
  assert.deepEqual(positionOf(job.variables, "URL"), { file: "ci.yml", line: 3, column: 5 });
});

test("a referenced list stays one nested item, as in GitLab", async () => {
  const value = await resolved(
    ".setup:\n  script: [a, b]\njob:\n  script: [!reference [.setup, script], echo hi]\n",
  );
  assert.deepEqual((value.job as Record<string, unknown>).script, [["a", "b"], "echo hi"]);
});

test("references nest through referenced values", async () => {
  const value = await resolved(
    ".snippets:\n  one: [echo ONE]\n  two:\n    - !reference [.snippets, one]\n    - echo TWO\n" +
      "  three:\n    - !reference [.snippets, two]\n    - echo THREE\n" +
      "job:\n  script:\n    - !reference [.snippets, three]\n",
  );
  assert.deepEqual((value.job as Record<string, unknown>).script, [
    [[["echo ONE"], "echo TWO"], "echo THREE"],
  ]);
});

test("references inside mappings inside a referenced list are resolved", async () => {
  const value = await resolved(
    ".p:\n  release: $TAG\n.rules:\n  r:\n    - if: !reference [.p, release]\njob:\n  rules: !reference [.rules, r]\n",
  );
  assert.deepEqual((value.job as Record<string, unknown>).rules, [{ if: "$TAG" }]);
});

test("a missing target gives GitLab's message at the tag", async () => {
  const { diagnostics } = await resolve("job:\n  script:\n    - !reference [.setup, script]\n");
  assert.equal(diagnostics.length, 1);
  const [diagnostic] = diagnostics;
  assert.equal(diagnostic?.message, '!reference [".setup", "script"] could not be found');
  assert.deepEqual([diagnostic?.line, diagnostic?.column], [3, 18]);
  assert.equal(diagnostic?.path, "job:script");
});

test("null and false count as missing; lists and other tags are not walked", async () => {
  const messages = async (text: string) => (await resolve(text)).diagnostics.map((d) => d.message);
  assert.deepEqual(await messages("a:\n  x: false\nb: !reference [a, x]\n"), [
    '!reference ["a", "x"] could not be found',
  ]);
  assert.deepEqual(await messages("a: [x]\nb: !reference [a, '0']\n"), [
    '!reference ["a", "0"] could not be found',
  ]);
  assert.deepEqual(await messages("a:\n  k: v\nb: !reference [a]\nc: !reference [b, k]\n"), [
    '!reference ["b", "k"] could not be found',
  ]);
});

test("a cycle is reported once, naming the tag met again", async () => {
  const { diagnostics, value } = await resolve("a: !reference [b]\nb: !reference [a]\n");
  assert.deepEqual(
    diagnostics.map((d) => d.message),
    ['!reference ["b"] is part of a circular chain'],
  );
  assert.ok(value.a instanceof ReferenceTag);
});

test("a reference to its own list is circular", async () => {
  const { diagnostics } = await resolve("a:\n  - x\n  - !reference [a]\n");
  assert.deepEqual(
    diagnostics.map((d) => d.message),
    ['!reference ["a"] is part of a circular chain'],
  );
});

test("a malformed reference fails when resolved, with GitLab's rendering", async () => {
  const { diagnostics } = await resolve("a: !reference [x, 1]\nb: !reference {k: v}\n");
  assert.deepEqual(
    diagnostics.map((d) => d.message),
    ['!reference ["x", 1] is not valid', '!reference {"k"=>"v"} is not valid'],
  );
});

test("a diamond of references cannot blow up", async () => {
  const lines = ["r0: [x, x]"];
  for (let i = 1; i <= 40; i++)
    lines.push(`r${i}: [!reference [r${i - 1}], !reference [r${i - 1}]]`);
  const started = Date.now();
  const { diagnostics } = await resolve(`${lines.join("\n")}\n`);
  assert.ok(Date.now() - started < 5000, "took too long");
  assert.equal(diagnostics.length, 1);
  assert.match(diagnostics[0]?.message ?? "", /^!reference \["r\d+"\] expands to too much data$/);
});

test("the input configuration is left as it was", async () => {
  const loaded = await loadYaml("a: [x]\nb: !reference [a]\n", "ci.yml");
  const config = loaded.value as Record<string, unknown>;
  resolveReferences(config, "ci.yml");
  assert.ok(config.b instanceof ReferenceTag);
});

test("parts without a tag are kept as they are; parts with one are new copies", async () => {
  const loaded = await loadYaml(
    ".s:\n  script: [a]\njob:\n  cache: {key: k}\n  script: [!reference [.s, script], b]\nother:\n  script: [c]\n",
    "ci.yml",
  );
  const input = loaded.value as Record<string, Record<string, unknown>>;
  const { value } = resolveReferences(input, "ci.yml");
  const job = value.job as Record<string, unknown>;
  assert.notEqual(value, input);
  assert.notEqual(job, input.job);
  assert.equal(job.cache, input.job?.cache);
  assert.equal(value.other, input.other);
  assert.deepEqual(job.script, [["a"], "b"]);
  assert.deepEqual(positionOf(job, "script"), positionOf(input.job, "script"));
});

test("a part that jobs share after extends is resolved once: each job gets its value, a failing tag one error", async () => {
  const { applyExtends } = await import("../compose/extends.js");
  const loaded = await loadYaml(
    ".setup:\n  script: [make]\n" +
      ".tpl:\n  before_script: [!reference [.setup, script], echo]\n  after_script: [!reference [.nope, script]]\n" +
      "a:\n  extends: .tpl\n  script: x\n" +
      "b:\n  extends: .tpl\n  script: y\n",
    "ci.yml",
  );
  const extended = applyExtends(loaded.value as Record<string, unknown>, "ci.yml").config;
  const jobA = extended.a as Record<string, unknown>;
  const jobB = extended.b as Record<string, unknown>;
  // extends shares the template's lists between the jobs.
  assert.equal(jobA.before_script, jobB.before_script);
  const { value, diagnostics } = resolveReferences(extended, "ci.yml");
  for (const job of ["a", "b", ".tpl"]) {
    const resolvedJob = value[job] as Record<string, unknown>;
    assert.deepEqual(resolvedJob.before_script, [["make"], "echo"]);
    assert.ok((resolvedJob.after_script as unknown[])[0] instanceof ReferenceTag);
  }
  assert.deepEqual(
    diagnostics.map((d) => [d.message, d.line]),
    [['!reference [".nope", "script"] could not be found', 5]],
  );
});
