// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the CI variable syntax under test
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeByPrecedence } from "./precedence.js";
import { scopeLayer, scopeValues } from "./scope-lookup.js";
import { sortAndExpandAll } from "./sort-expand.js";
import type { Variable, VariableSource } from "./types.js";

const NAMES = ["A", "B", "C", "D"];
const SOURCES: VariableSource[] = [
  "predefined-runtime",
  "predefined",
  "deployment",
  "yaml-global",
  "workflow-rules",
  "yaml-job",
  "matrix",
  "rules",
  "predefined-user",
  "project",
  "pipeline",
];
const PIECES = ["x", "-", "$A", "${B}", "%C%", "$D", "$$A", "%%", "${}", "$MISSING", "/$A/"];

/** A small seeded xorshift generator: the same cases on every run. */
function generator(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

/** What the lookup must give: the whole scope merged, sorted and expanded. */
function reference(variables: Variable[]): { values: (string | undefined)[]; error?: string } {
  const { variables: set, error } = sortAndExpandAll(mergeByPrecedence(variables));
  return { values: [...NAMES, "MISSING"].map((name) => set.value(name)), error };
}

test("looking names up lazily gives what sorting and expanding the whole scope gives", () => {
  const next = generator(20240611);
  let cycles = 0;
  for (let round = 0; round < 4000; round++) {
    const variables: Variable[] = [];
    const count = 1 + next(7);
    for (let i = 0; i < count; i++) {
      let value = "";
      for (let pieces = next(4); pieces > 0; pieces--) value += PIECES[next(PIECES.length)];
      const variable: Variable = {
        key: NAMES[next(NAMES.length)] as string,
        value,
        source: SOURCES[next(SOURCES.length)] as VariableSource,
      };
      if (next(6) === 0) variable.raw = true;
      if (next(8) === 0) variable.file = true;
      variables.push(variable);
    }
    // The same variable object twice is two variables to the sort.
    if (next(10) === 0) variables.push(variables[0] as Variable);
    const cut1 = next(variables.length + 1);
    const cut2 = cut1 + next(variables.length - cut1 + 1);
    const layers = [variables.slice(0, cut1), variables.slice(cut1, cut2), variables.slice(cut2)];
    const lazy = scopeValues(layers.map(scopeLayer));
    const expected = reference(variables);
    const label = JSON.stringify(variables);
    assert.equal(lazy.error, expected.error, label);
    if (expected.error) cycles++;
    assert.deepEqual(
      [...NAMES, "MISSING"].map((name) => lazy.lookup(name)),
      expected.values,
      label,
    );
  }
  // The cases cover scopes with and without cycles.
  assert.ok(cycles > 100 && cycles < 3000, `${cycles} scopes with a cycle`);
});

test("a variable referencing its own name sees the others of that name, whatever their order", () => {
  const scope = scopeValues([
    scopeLayer([
      { key: "P", value: "$P:/usr/bin", source: "yaml-job" },
      { key: "P", value: "/bin", source: "pipeline" },
    ]),
  ]);
  // The sort places the pipeline variable first: the YAML one depends on it.
  assert.equal(scope.lookup("P"), "/bin:/usr/bin");
  assert.equal(scope.error, undefined);
});
