import assert from "node:assert/strict";
import { test } from "node:test";
import { applyExtends, MAX_EXTENDS_NESTING } from "./extends.js";

// docs.gitlab.com/ci/yaml/#extends and ci/yaml/yaml_optimization: hashes deep-merge, arrays
// and scalars are replaced, the job's own keys win, several bases merge in order.
test("extends deep-merges hashes and replaces arrays, the job's keys winning", () => {
  const { config, diagnostics } = applyExtends(
    {
      ".tests": {
        script: ["rake test"],
        stage: "test",
        variables: { A: "1", B: "1" },
        only: { refs: ["branches"] },
      },
      rspec: {
        extends: ".tests",
        script: ["rake rspec"],
        variables: { B: "2" },
        only: { variables: ["$RSPEC"] },
      },
    },
    ".gitlab-ci.yml",
  );
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(config.rspec, {
    script: ["rake rspec"],
    stage: "test",
    variables: { A: "1", B: "2" },
    only: { refs: ["branches"], variables: ["$RSPEC"] },
    extends: ".tests",
  });
});

test("multi-level and multiple extends merge bases in the order listed", () => {
  const { config } = applyExtends(
    {
      ".a": { image: "a", tags: ["a"] },
      ".b": { extends: ".a", image: "b" },
      ".c": { tags: ["c"], retry: 1 },
      job: { extends: [".b", ".c"], script: "x" },
    },
    "f.yml",
  );
  assert.deepEqual(config.job, {
    image: "b",
    tags: ["c"],
    retry: 1,
    extends: [".b", ".c"],
    script: "x",
  });
});

test("unknown base, circular chain and too deep nesting give GitLab's messages", () => {
  assert.equal(
    applyExtends({ job: { extends: ".missing", script: "x" } }, "f").diagnostics[0]?.message,
    "job: unknown keys in `extends` (.missing)",
  );
  const circular = applyExtends({ a: { extends: "b" }, b: { extends: "a" } }, "f").diagnostics;
  assert.equal(circular.length, 1);
  assert.match(circular[0]?.message ?? "", /: circular dependency detected in `extends`$/);

  const chain: Record<string, unknown> = { j0: { script: "x" } };
  for (let i = 1; i <= MAX_EXTENDS_NESTING + 2; i++) chain[`j${i}`] = { extends: `j${i - 1}` };
  const deep = applyExtends(chain, "f").diagnostics.map((d) => d.message);
  assert.ok(
    deep.some((m) => m.endsWith("nesting too deep in `extends`")),
    deep.join("; "),
  );

  const shallow: Record<string, unknown> = { j0: { script: "x" } };
  for (let i = 1; i <= MAX_EXTENDS_NESTING; i++) shallow[`j${i}`] = { extends: `j${i - 1}` };
  assert.deepEqual(applyExtends(shallow, "f").diagnostics, []);
});

test("a base that is not a hash is refused", () => {
  assert.equal(
    applyExtends({ ".base": ["x"], job: { extends: ".base" } }, "f").diagnostics[0]?.message,
    "job: invalid base hashes in `extends` (.base)",
  );
});

test("a wide diamond of bases resolves without walking every path", () => {
  const config: Record<string, unknown> = { ".l0a": { script: "x" }, ".l0b": { image: "i" } };
  for (let level = 1; level <= 9; level++) {
    config[`.l${level}a`] = { extends: [`.l${level - 1}a`, `.l${level - 1}b`] };
    config[`.l${level}b`] = { extends: [`.l${level - 1}b`, `.l${level - 1}a`] };
  }
  config.job = { extends: [".l9a", ".l9b"] };
  const { config: out, diagnostics } = applyExtends(config, "f");
  assert.deepEqual(diagnostics, []);
  assert.equal((out.job as Record<string, unknown>).script, "x");
});

test("a done base that makes a later chain too deep is still reported", () => {
  const chain: Record<string, unknown> = { j0: { script: "x" } };
  for (let i = 1; i <= MAX_EXTENDS_NESTING + 2; i++) chain[`j${i}`] = { extends: `j${i - 1}` };
  const messages = applyExtends(chain, "f").diagnostics.map((d) => d.message);
  assert.ok(messages.length >= 1);
  assert.ok(
    messages.every((m) => m.endsWith(": nesting too deep in `extends`")),
    messages.join("; "),
  );
});

test("jobs extending the same list of bases get what merging each job's bases and keys gives, positions too", async () => {
  const { loadYaml } = await import("../yaml/index.js");
  const { positionOf } = await import("../source-map.js");
  const { deepMergeAll } = await import("./deep-merge.js");
  const text =
    ".a:\n  variables: {A: a, S: a}\n  cache: {key: a, paths: [x]}\n  script: [a]\n" +
    ".b:\n  variables: {B: b, S: b}\n  cache: {policy: pull}\n" +
    ".c:\n  tags: [c]\n.d:\n  image: d\n  variables: {D: d}\n" +
    "one:\n  extends: [.a, .b]\n  variables: {S: one}\n" +
    "two:\n  extends: [.a, .b]\n  cache: {key: two}\n" +
    "four:\n  extends: [.a, .b, .c, .d]\n  stage: test\n" +
    "also_four:\n  extends: [.a, .b, .c, .d]\n  variables: {A: z}\n";
  const loaded = (await loadYaml(text, "ci.yml")).value as Record<string, Record<string, unknown>>;
  const { config, diagnostics } = applyExtends(loaded, "ci.yml");
  assert.deepEqual(diagnostics, []);
  /** Every position below `node`, by path. */
  const positions = (node: unknown, path = ""): Record<string, unknown> => {
    if (node === null || typeof node !== "object") return {};
    const found: Record<string, unknown> = { [path]: positionOf(node) };
    for (const key of Object.keys(node)) {
      found[`${path}/${key}`] = positionOf(node, key);
      Object.assign(found, positions((node as Record<string, unknown>)[key], `${path}/${key}`));
    }
    return found;
  };
  for (const job of ["one", "two", "four", "also_four"]) {
    const own = loaded[job]!;
    const bases = (own.extends as string[]).map((name) => loaded[name]!);
    const expected = deepMergeAll([...bases, own]);
    assert.deepEqual(config[job], expected, job);
    assert.deepEqual(positions(config[job]), positions(expected), job);
  }
  assert.deepEqual((config.one as Record<string, unknown>).variables, { A: "a", S: "one", B: "b" });
  assert.deepEqual((config.two as Record<string, unknown>).cache, {
    key: "two",
    paths: ["x"],
    policy: "pull",
  });
});

test("a job named `__proto__` is extended like any other, as an own key", () => {
  const config = JSON.parse(
    '{".base": {"image": "alpine"}, "__proto__": {"extends": ".base", "script": "make"}, "other": {"script": "x"}}',
  ) as Record<string, unknown>;
  const { config: result, diagnostics } = applyExtends(config, "ci.yml");
  assert.deepEqual(diagnostics, []);
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.deepEqual(Object.keys(result), [".base", "__proto__", "other"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(result, "__proto__")?.value, {
    image: "alpine",
    extends: ".base",
    script: "make",
  });
});
