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
