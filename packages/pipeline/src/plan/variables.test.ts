import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeByPrecedence, type Variable } from "../variables/index.js";
import { expandedScope, jobScopeExpander, winningVariables, yamlValues } from "./variables.js";

const v = (key: string, value: string, source: Variable["source"] = "yaml-global"): Variable => ({
  key,
  value,
  source,
});

const NAMES = ["CI_JOB_NAME", "CI_PROJECT_PATH", "A", "B", "C", "PATH", "X", "MISSING"];

function same(job: Variable[], rest: Variable[], expand = jobScopeExpander([])): void {
  const direct = expandedScope([...job, ...rest]);
  const shared = expand(job, rest);
  assert.equal(shared.error, direct.error);
  for (const name of NAMES) assert.equal(shared.lookup(name), direct.lookup(name), name);
}

test("sharing the expansion between jobs gives what expanding each job alone gives", () => {
  const common = [v("CI_PROJECT_PATH", "g/p", "predefined")];
  const expand = jobScopeExpander(common);
  const varying = [
    v("A", "$CI_PROJECT_PATH/x"),
    v("B", "${A}-y", "yaml-job"),
    v("PATH", "/bin"),
    v("PATH", "$PATH:/usr/bin", "yaml-job"),
  ];
  const check = (name: string) => {
    const job = [v("CI_JOB_NAME", name, "predefined")];
    const direct = expandedScope([...job, ...common, ...varying]);
    const shared = expand(job, varying);
    for (const key of NAMES) assert.equal(shared.lookup(key), direct.lookup(key), key);
  };
  check("one");
  check("two");
});

test("a variable that references a job-level name is expanded per job", () => {
  const expand = jobScopeExpander([]);
  const rest = [v("C", "cache-$CI_JOB_NAME")];
  same([v("CI_JOB_NAME", "build", "predefined")], rest, expand);
  assert.equal(expand([v("CI_JOB_NAME", "test", "predefined")], rest).lookup("C"), "cache-test");
});

test("a job-level name overridden by a YAML variable, and cycles, behave as without sharing", () => {
  same([v("CI_JOB_NAME", "build", "predefined")], [v("CI_JOB_NAME", "mine")]);
  same([v("CI_JOB_NAME", "b", "predefined")], [v("A", "$B"), v("B", "$A")]);
});

test("the winning YAML variables are mergeByPrecedence's, in its order", () => {
  const sources: Variable["source"][] = [
    "yaml-global",
    "workflow-rules",
    "yaml-job",
    "matrix",
    "rules",
  ];
  let state = 7;
  const next = (below: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % below;
  };
  for (let round = 0; round < 500; round++) {
    const list: Variable[] = [];
    for (let i = next(8); i > 0; i--) {
      list.push(v(["A", "B", "C", "__proto__"][next(4)] as string, String(i), sources[next(5)]));
    }
    if (round % 5 === 0) list.push(v("P", "predefined", "predefined"));
    const expected = [...mergeByPrecedence(list).resolved()];
    assert.deepEqual(winningVariables(list), expected, JSON.stringify(list));
    assert.deepEqual(
      Object.entries(yamlValues(list)),
      expected.map((w) => [w.key, w.value]),
    );
  }
});
