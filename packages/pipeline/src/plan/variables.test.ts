import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeByPrecedence, type Variable } from "../variables/index.js";
import { scopeLayer } from "../variables/scope-lookup.js";
import {
  expandedScope,
  type ExpandedVariables,
  sharedJobVariables,
  winningVariables,
  yamlValues,
} from "./variables.js";

const v = (key: string, value: string, source: Variable["source"] = "yaml-global"): Variable => ({
  key,
  value,
  source,
});

const NAMES = ["CI_JOB_NAME", "CI_PROJECT_PATH", "A", "B", "C", "PATH", "X", "MISSING"];

/**
 * The scopes `sharedJobVariables` gives jobs with `common` as the pipeline's predefined
 * variables and no global or given ones: each job's scope is its own predefined variables,
 * `common`, then what varies from job to job.
 */
function jobScopes(
  common: Variable[],
): (job: Variable[], varying: Variable[]) => ExpandedVariables {
  const shared = sharedJobVariables({ predefined: scopeLayer(common), given: scopeLayer([]) }, []);
  return (job, varying) => shared.scope(job, varying);
}

function same(job: Variable[], rest: Variable[], expand = jobScopes([])): void {
  const direct = expandedScope([...job, ...rest]);
  const shared = expand(job, rest);
  assert.equal(shared.error, direct.error);
  for (const name of NAMES) assert.equal(shared.lookup(name), direct.lookup(name), name);
}

test("sharing the expansion between jobs gives what expanding each job alone gives", () => {
  const common = [v("CI_PROJECT_PATH", "g/p", "predefined")];
  const expand = jobScopes(common);
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
  const expand = jobScopes([]);
  const rest = [v("C", "cache-$CI_JOB_NAME")];
  same([v("CI_JOB_NAME", "build", "predefined")], rest, expand);
  assert.equal(expand([v("CI_JOB_NAME", "test", "predefined")], rest).lookup("C"), "cache-test");
});

test("a job-level name overridden by a YAML variable, and cycles, behave as without sharing", () => {
  same([v("CI_JOB_NAME", "build", "predefined")], [v("CI_JOB_NAME", "mine")]);
  same([v("CI_JOB_NAME", "b", "predefined")], [v("A", "$B"), v("B", "$A")]);
});

/** The sources of YAML variables, in the order of their rank. */
const SOURCES: Variable["source"][] = [
  "yaml-global",
  "workflow-rules",
  "yaml-job",
  "matrix",
  "rules",
];

/** Numbers below `below`, repeatable from `seed` (a linear congruential generator). */
function lcg(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % below;
  };
}

test("the winning YAML variables are mergeByPrecedence's, in its order", () => {
  const next = lcg(7);
  for (let round = 0; round < 500; round++) {
    const list: Variable[] = [];
    for (let i = next(8); i > 0; i--) {
      list.push(v(["A", "B", "C", "__proto__"][next(4)] as string, String(i), SOURCES[next(5)]));
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

test("a job's shared variables give what assembling the job's whole scope gives", () => {
  const layers = {
    predefined: scopeLayer([v("CI_PROJECT_PATH", "g/p", "predefined"), v("X", "$A", "predefined")]),
    given: scopeLayer([v("PATH", "$PATH:/given", "pipeline")]),
  };
  const globals = [v("A", "$CI_PROJECT_PATH/a"), v("PATH", "/bin"), v("C", "$B", "workflow-rules")];
  const shared = sharedJobVariables(layers, globals);
  const jobs: Array<[Variable[], Variable[]]> = [
    [[v("CI_JOB_NAME", "one", "predefined")], [v("B", "${A}-$CI_JOB_NAME", "yaml-job")]],
    [[v("CI_JOB_NAME", "two", "predefined")], [v("A", "own", "yaml-job"), v("P", "x", "matrix")]],
    [[v("CI_JOB_NAME", "three", "predefined")], [v("B", "$C", "yaml-job")]],
    [[v("CI_JOB_NAME", "four", "predefined")], []],
  ];
  for (const [job, own] of jobs) {
    const whole = [
      ...job,
      ...layers.predefined.variables,
      ...globals,
      ...own,
      ...layers.given.variables,
    ];
    const direct = expandedScope(whole);
    const scope = shared.scope(job, own);
    assert.equal(scope.error, direct.error);
    for (const name of [...NAMES, "P", "X"]) {
      assert.equal(scope.lookup(name), direct.lookup(name), name);
    }
  }
  // The third job's B and the globals' C reference each other.
  assert.match(shared.scope(jobs[2]![0], jobs[2]![1]).error ?? "", /circular/);
  assert.equal(shared.scope(jobs[0]![0], jobs[0]![1]).lookup("B"), "g/p/a-one");
});

test("a job's YAML variables laid over the shared globals are winningVariables' of the whole list", () => {
  const layers = { predefined: scopeLayer([]), given: scopeLayer([]) };
  const next = lcg(11);
  const list = (count: number, from: number): Variable[] => {
    const out: Variable[] = [];
    for (let i = 0; i < count; i++) {
      // Mostly in rank order, as the planner gives them; now and then not.
      const source = SOURCES[next(10) === 0 ? next(5) : Math.max(from, next(5))];
      out.push(v(["A", "B", "C", "D", "__proto__"][next(5)] as string, `${from}.${i}`, source));
    }
    return out;
  };
  for (let round = 0; round < 300; round++) {
    const globals = list(next(5), 0);
    const shared = sharedJobVariables(layers, globals);
    for (let job = 0; job < 3; job++) {
      const own = list(next(6), 2);
      const expected = winningVariables([...globals, ...own]);
      const { variables, yamlVariables } = shared.yaml(own);
      const label = JSON.stringify([globals, own]);
      assert.deepEqual(yamlVariables, expected, label);
      assert.deepEqual(
        Object.entries(variables),
        expected.map((w) => [w.key, w.value]),
        label,
      );
    }
  }
});
