// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the CI variable syntax under test

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stronglyConnectedComponents } from "../graph/tsort.js";
import { RUNNER_EXPANSION, sortAndExpandAll, variableReferences } from "./sort-expand.js";
import type { Variable } from "./types.js";

function v(key: string, value: string, extra: Partial<Variable> = {}): Variable {
  return { key, value, source: "yaml-job", ...extra };
}

function pairs(result: ReturnType<typeof sortAndExpandAll>): [string, string][] {
  return result.variables.items.map((item) => [item.key, item.value]);
}

describe("variableReferences (Item#depends_on)", () => {
  it("lists $X, ${X} and %X% but not $$X, %%, ${}", () => {
    assert.deepEqual(variableReferences(v("A", "$B ${C} %D% $$E %%F% ${}")), ["B", "C", "D"]);
  });

  it("is empty for raw variables", () => {
    assert.deepEqual(variableReferences(v("A", "$B", { raw: true })), []);
  });
});

describe("sortAndExpandAll (Collection#sort_and_expand_all)", () => {
  it("expands references to other variables regardless of their order", () => {
    const result = sortAndExpandAll([
      v("URL", "https://$HOST/$PATH_PART"),
      v("HOST", "example.test"),
      v("PATH_PART", "x"),
    ]);
    assert.equal(result.error, undefined);
    assert.equal(result.variables.value("URL"), "https://example.test/x");
    // Dependencies come first in the sorted collection.
    assert.deepEqual(result.variables.keys(), ["HOST", "PATH_PART", "URL"]);
  });

  it("expands chains", () => {
    const result = sortAndExpandAll([v("C", "$B-c"), v("B", "$A-b"), v("A", "a")]);
    assert.equal(result.variables.value("C"), "a-b-c");
  });

  it("sees the winning value of a key that appears twice (checked against Ruby)", () => {
    const result = sortAndExpandAll([v("A", "x"), v("B", "$A"), v("A", "y")]);
    assert.deepEqual(pairs(result), [
      ["A", "x"],
      ["A", "y"],
      ["B", "y"],
    ]);
  });

  it("lets a variable extend a lower-precedence one of the same name", () => {
    const result = sortAndExpandAll([
      v("PATH", "/usr/bin", { source: "project" }),
      v("PATH", "$PATH:/opt/bin"),
    ]);
    assert.equal(result.error, undefined);
    assert.equal(result.variables.value("PATH"), "/usr/bin:/opt/bin");
  });

  it("reproduces GitLab's order when the self-reference comes first", () => {
    // GitLab places the plain A first, so the expanded one ends up last and wins.
    const result = sortAndExpandAll([v("A", "$A:y"), v("A", "x")]);
    assert.deepEqual(pairs(result), [
      ["A", "x"],
      ["A", "x:y"],
    ]);
  });

  it("treats a lone self-reference as nothing", () => {
    const result = sortAndExpandAll([v("A", "[$A]")]);
    assert.equal(result.error, undefined);
    assert.equal(result.variables.value("A"), "[]");
  });

  it("keeps $$, %% and ${} for the runner and expands all three forms", () => {
    const result = sortAndExpandAll([v("A", "$$B %%C% ${} $B ${B} %B%"), v("B", "b")]);
    assert.equal(result.variables.value("A"), "$$B %%C% ${} b b b");
  });

  it("does not expand raw variables, but inserts their value where referenced", () => {
    const result = sortAndExpandAll([v("A", "$B"), v("B", "raw-$C", { raw: true }), v("C", "c")]);
    assert.equal(result.variables.value("B"), "raw-$C");
    assert.equal(result.variables.value("A"), "raw-$C");
  });

  it("keeps raw and file references for the runner when asked", () => {
    const result = sortAndExpandAll(
      [v("A", "$B/$F/$GONE"), v("B", "raw", { raw: true }), v("F", "content", { file: true })],
      RUNNER_EXPANSION,
    );
    assert.equal(result.variables.value("A"), "$B/$F/$GONE");
    const defaults = sortAndExpandAll([
      v("A", "$B/$F/$GONE"),
      v("B", "raw", { raw: true }),
      v("F", "content", { file: true }),
    ]);
    assert.equal(defaults.variables.value("A"), "raw/content/");
  });

  it("reports a cycle in GitLab's words and expands nothing", () => {
    const input = [v("A", "$B"), v("B", "$A"), v("C", "$D"), v("D", "d")];
    const result = sortAndExpandAll(input);
    assert.equal(result.error, 'circular variable reference detected: ["A", "B"]');
    assert.deepEqual(result.cycles, [["A", "B"]]);
    assert.deepEqual(pairs(result), [
      ["A", "$B"],
      ["B", "$A"],
      ["C", "$D"],
      ["D", "d"],
    ]);
  });

  it("names every cycle, members in GitLab's order (checked against Ruby's TSort)", () => {
    const three = sortAndExpandAll([
      v("A", "$B"),
      v("B", "$C"),
      v("C", "$A"),
      v("D", "$E"),
      v("E", "$D"),
      v("F", "x"),
    ]);
    assert.equal(three.error, 'circular variable reference detected: ["A", "B", "C"], ["D", "E"]');
    const later = sortAndExpandAll([v("X", "$Y"), v("A", "$B"), v("B", "$A"), v("Y", "$X")]);
    assert.equal(later.error, 'circular variable reference detected: ["X", "Y"], ["A", "B"]');
  });

  it("does not hang or overflow on a long chain", () => {
    const chain: Variable[] = [];
    for (let i = 0; i < 20000; i++) chain.push(v(`V${i}`, `$V${i + 1}`));
    chain.push(v("V20000", "end"));
    const result = sortAndExpandAll(chain);
    assert.equal(result.variables.value("V0"), "end");
    const loop = [...chain.slice(0, -1), v("V20000", "$V0")];
    assert.match(
      sortAndExpandAll(loop).error ?? "",
      /^circular variable reference detected: \["V0", "V1", /,
    );
  });
});

describe("stronglyConnectedComponents", () => {
  it("yields dependencies before dependents", () => {
    // 0 -> 1 -> 2, 3 -> 3
    const edges: number[][] = [[1], [2], [], [3]];
    assert.deepEqual(
      stronglyConnectedComponents(4, (n) => edges[n] ?? []),
      [[2], [1], [0], [3]],
    );
  });
});
