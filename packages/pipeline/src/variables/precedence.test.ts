import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  inheritVariables,
  mergeByPrecedence,
  mergeVariableLists,
  PRECEDENCE,
  precedenceOf,
} from "./precedence.js";
import { sortAndExpandAll } from "./sort-expand.js";
import type { Variable, VariableSource } from "./types.js";

function v(
  key: string,
  value: string,
  source: VariableSource,
  extra: Partial<Variable> = {},
): Variable {
  return { key, value, source, ...extra };
}

describe("PRECEDENCE", () => {
  it("follows the documented order, highest first", () => {
    // https://docs.gitlab.com/ci/variables/#cicd-variable-precedence
    const documented: VariableSource[] = [
      "pipeline-execution-policy",
      "scan-execution-policy",
      "pipeline",
      "project",
      "group",
      "instance",
      "dotenv",
      "yaml-job",
      "yaml-global",
      "deployment",
      "predefined",
    ];
    for (let i = 1; i < documented.length; i++) {
      assert.ok(
        precedenceOf(documented[i - 1]!) > precedenceOf(documented[i]!),
        `${documented[i - 1]} above ${documented[i]}`,
      );
    }
    assert.equal(new Set(PRECEDENCE).size, PRECEDENCE.length);
  });

  it("puts rules:variables above job variables, and schedule/manual with pipeline variables", () => {
    assert.ok(precedenceOf("rules") > precedenceOf("yaml-job"));
    assert.ok(precedenceOf("matrix") > precedenceOf("yaml-job"));
    assert.ok(precedenceOf("workflow-rules") > precedenceOf("yaml-global"));
    assert.ok(precedenceOf("schedule") > precedenceOf("project"));
    assert.ok(precedenceOf("manual") > precedenceOf("project"));
    assert.ok(precedenceOf("trigger") > precedenceOf("project"));
  });
});

describe("mergeByPrecedence", () => {
  const every: Variable[] = [
    v("X", "pipeline-execution-policy", "pipeline-execution-policy"),
    v("X", "scan-execution-policy", "scan-execution-policy"),
    v("X", "manual", "manual"),
    v("X", "schedule", "schedule"),
    v("X", "trigger", "trigger"),
    v("X", "pipeline", "pipeline"),
    v("X", "project", "project"),
    v("X", "group", "group"),
    v("X", "instance", "instance"),
    v("X", "dotenv", "dotenv"),
    v("X", "rules", "rules"),
    v("X", "matrix", "matrix"),
    v("X", "yaml-job", "yaml-job"),
    v("X", "workflow-rules", "workflow-rules"),
    v("X", "yaml-global", "yaml-global"),
    v("X", "deployment", "deployment"),
    v("X", "predefined", "predefined"),
  ];

  it("lets each layer override every layer below it", () => {
    for (let cut = 0; cut < every.length; cut++) {
      const layers = every.slice(cut);
      const winner = layers[0]!;
      assert.equal(
        mergeByPrecedence(layers).value("X"),
        winner.value,
        `with ${winner.source} on top`,
      );
    }
  });

  it("is independent of the input order", () => {
    const reversed = [...every].reverse();
    assert.equal(mergeByPrecedence(reversed).value("X"), "pipeline-execution-policy");
  });

  it("keeps overridden variables, lowest first, for explanations", () => {
    const set = mergeByPrecedence([
      v("A", "project", "project"),
      v("A", "predefined", "predefined"),
      v("A", "group", "group"),
    ]);
    assert.deepEqual(
      set.all("A").map((x) => x.source),
      ["predefined", "group", "project"],
    );
  });

  it("merges the YAML layers into one list, so a job variable does not see the global one", () => {
    const set = mergeByPrecedence([
      v("A", "predefined", "predefined"),
      v("A", "global", "yaml-global"),
      v("A", "$A-job", "yaml-job"),
    ]);
    assert.deepEqual(
      set.all("A").map((x) => x.value),
      ["predefined", "$A-job"],
    );
    assert.equal(sortAndExpandAll(set).variables.value("A"), "predefined-job");
  });

  it("keeps a YAML key at the position where it first appeared", () => {
    const set = mergeByPrecedence([
      v("FIRST", "1", "yaml-global"),
      v("SECOND", "2", "yaml-global"),
      v("FIRST", "job", "yaml-job"),
      v("THIRD", "3", "rules"),
    ]);
    assert.deepEqual(set.keys(), ["FIRST", "SECOND", "THIRD"]);
    assert.equal(set.value("FIRST"), "job");
  });

  it("puts GITLAB_USER_* above YAML variables and job runtime variables below everything", () => {
    const set = mergeByPrecedence([
      v("GITLAB_USER_LOGIN", "ada", "predefined-user"),
      v("GITLAB_USER_LOGIN", "yaml", "yaml-job"),
      v("CI_JOB_ID", "1", "predefined-runtime"),
      v("CI_JOB_ID", "override", "yaml-global"),
      v("CI_ENVIRONMENT_SLUG", "review-x", "predefined-environment"),
      v("CI_ENVIRONMENT_SLUG", "mine", "project"),
    ]);
    assert.equal(set.value("GITLAB_USER_LOGIN"), "ada");
    assert.equal(set.value("CI_JOB_ID"), "override");
    assert.equal(set.value("CI_ENVIRONMENT_SLUG"), "review-x");
  });

  it("drops protected settings variables on unprotected refs", () => {
    const input = [
      v("TOKEN", "instance", "instance", { protected: true }),
      v("TOKEN", "group", "group", { protected: true }),
      v("TOKEN", "project", "project", { protected: true }),
      v("TOKEN", "yaml", "yaml-job"),
    ];
    assert.equal(mergeByPrecedence(input, { protectedRef: false }).value("TOKEN"), "yaml");
    assert.equal(mergeByPrecedence(input, { protectedRef: true }).value("TOKEN"), "project");
    assert.equal(mergeByPrecedence(input).value("TOKEN"), "project");
  });

  it("expands a higher layer against the winning lower layer", () => {
    const set = mergeByPrecedence([
      v("IMAGE", "registry.example.test/$NAME:$TAG", "yaml-global"),
      v("NAME", "app", "yaml-global"),
      v("TAG", "latest", "yaml-global"),
      v("TAG", "v2", "pipeline"),
    ]);
    assert.equal(sortAndExpandAll(set).variables.value("IMAGE"), "registry.example.test/app:v2");
  });
});

describe("mergeVariableLists / inheritVariables", () => {
  it("merges with first-appearance order and last value", () => {
    const merged = mergeVariableLists(
      [v("A", "1", "yaml-global"), v("B", "2", "yaml-global")],
      [v("C", "3", "yaml-job"), v("A", "4", "yaml-job")],
    );
    assert.deepEqual(
      merged.map((x) => `${x.key}=${x.value}`),
      ["A=4", "B=2", "C=3"],
    );
  });

  it("applies inherit:variables", () => {
    const globals = [v("A", "1", "yaml-global"), v("B", "2", "yaml-global")];
    assert.equal(inheritVariables(globals).length, 2);
    assert.deepEqual(inheritVariables(globals, false), []);
    assert.deepEqual(
      inheritVariables(globals, ["B"]).map((x) => x.key),
      ["B"],
    );
  });
});
