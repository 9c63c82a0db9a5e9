// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the CI variable syntax under test
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeByPrecedence } from "./precedence.js";
import { OWN_LAYER, scopeLayer, scopeTemplate, scopeValues } from "./scope-lookup.js";
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

/** `count` variables drawn with `next`; with `files`, some are file variables. */
function randomVariables(
  next: (below: number) => number,
  count: number,
  { files }: { files: boolean },
): Variable[] {
  const variables: Variable[] = [];
  for (let i = 0; i < count; i++) {
    let value = "";
    for (let pieces = next(4); pieces > 0; pieces--) value += PIECES[next(PIECES.length)];
    const variable: Variable = {
      key: NAMES[next(NAMES.length)] as string,
      value,
      source: SOURCES[next(SOURCES.length)] as VariableSource,
    };
    if (next(6) === 0) variable.raw = true;
    if (files && next(8) === 0) variable.file = true;
    variables.push(variable);
  }
  return variables;
}

test("looking names up lazily gives what sorting and expanding the whole scope gives", () => {
  const next = generator(20240611);
  let cycles = 0;
  for (let round = 0; round < 4000; round++) {
    const variables = randomVariables(next, 1 + next(7), { files: true });
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

test("scopes of one template give what sorting and expanding each whole scope gives", () => {
  const next = generator(20250117);
  const randomLayer = (count: number) => randomVariables(next, count, { files: false });
  let cycles = 0;
  let scopes = 0;
  for (let round = 0; round < 600; round++) {
    // Shared layers around two places for own layers, in a random arrangement.
    const shared = [randomLayer(next(4)), randomLayer(next(4)), randomLayer(next(3))];
    const arrangement = next(3);
    const layout: Array<Variable[] | typeof OWN_LAYER> =
      arrangement === 0
        ? [OWN_LAYER, shared[0]!, shared[1]!, OWN_LAYER, shared[2]!]
        : arrangement === 1
          ? [shared[0]!, OWN_LAYER, OWN_LAYER, shared[1]!, shared[2]!]
          : [shared[0]!, shared[1]!, shared[2]!, OWN_LAYER, OWN_LAYER];
    const template = scopeTemplate(
      layout.map((layer) => (layer === OWN_LAYER ? OWN_LAYER : scopeLayer(layer))),
    );
    // Several scopes per template: what the template keeps must not leak between them.
    for (let scope = 0; scope < 4; scope++) {
      const own = [randomLayer(next(3)), randomLayer(next(3))];
      let place = 0;
      const whole = layout.flatMap((layer) => (layer === OWN_LAYER ? own[place++]! : layer));
      const lazy = template.values(own.map(scopeLayer));
      const expected = reference(whole);
      const label = JSON.stringify(layout.map((layer) => (layer === OWN_LAYER ? own : layer)));
      assert.equal(lazy.error, expected.error, label);
      if (expected.error) cycles++;
      scopes++;
      assert.deepEqual(
        [...NAMES, "MISSING"].map((name) => lazy.lookup(name)),
        expected.values,
        label,
      );
    }
  }
  assert.ok(cycles > 50 && cycles < scopes / 2, `${cycles} of ${scopes} scopes with a cycle`);
});

test("a template's scopes find a cycle that only their own layers close", () => {
  const template = scopeTemplate([
    scopeLayer([{ key: "A", value: "${B}-a", source: "yaml-global" }]),
    OWN_LAYER,
  ]);
  const closing = template.values([scopeLayer([{ key: "B", value: "$A", source: "yaml-job" }])]);
  assert.match(closing.error ?? "", /circular variable reference detected/);
  const plain = template.values([scopeLayer([{ key: "B", value: "b", source: "yaml-job" }])]);
  assert.equal(plain.error, undefined);
  assert.equal(plain.lookup("A"), "b-a");
  assert.throws(() => template.values([]), /takes 1 own layers/);
});

test("an own YAML variable in place of a shared one removes the shared one's cycle", () => {
  const template = scopeTemplate([
    scopeLayer([
      { key: "A", value: "$B", source: "yaml-global" },
      { key: "B", value: "$A", source: "yaml-global" },
    ]),
    OWN_LAYER,
  ]);
  assert.match(template.values([scopeLayer([])]).error ?? "", /circular/);
  const broken = template.values([scopeLayer([{ key: "B", value: "b", source: "yaml-job" }])]);
  assert.equal(broken.error, undefined);
  assert.equal(broken.lookup("A"), "b");
});
