import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobVariable } from "@conveyor/protocol";
import { testPayload } from "../testing/fixtures.js";
import { expandValue, runnerLookup } from "./expand.js";
import {
  expandWith,
  fileVariables,
  findVariable,
  maskedValues,
  resolveJobVariables,
  variableValue,
  withJobStatus,
} from "./variables.js";

describe("expandValue (Go os.Expand as the runner uses it)", () => {
  const vars: Record<string, string> = { A: "a", LONG_NAME: "long", EMPTY: "" };
  const lookup = runnerLookup((name) => vars[name]);
  for (const [input, expected] of [
    ["$A", "a"],
    ["${A}", "a"],
    ["x$A-y", "xa-y"],
    ["$LONG_NAME/$A", "long/a"],
    ["$UNKNOWN/x", "/x"],
    ["$$A", "$A"],
    ["$1 and $*", " and "],
    ["${}", ""],
    ["${A", "A"],
    ["price $ 5", "price $ 5"],
    ["trailing $", "trailing $"],
    ["${A:-default}", ""],
    ["%$A%", "%a%"],
    ["no references", "no references"],
  ] as const) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(expandValue(input, lookup), expected);
    });
  }
});

describe("resolveJobVariables", () => {
  const variables = (extra: JobVariable[]) =>
    resolveJobVariables({
      payload: testPayload({ variables: extra }),
      executorName: "shell",
      buildsDir: "/builds/0",
      projectDir: "/builds/0/group/project",
      concurrentId: 3,
      timeoutSeconds: 600,
      runner: { version: "1.2.3", revision: "abc", arch: "linux/amd64" },
    });

  it("adds the runner's variables around the job's, in the runner's order", () => {
    const list = variables([]).list.map((v) => v.key);
    assert.deepEqual(list.slice(0, 9), [
      "CI_BUILDS_DIR",
      "CI_PROJECT_DIR",
      "CI_CONCURRENT_ID",
      "CI_CONCURRENT_PROJECT_ID",
      "CI_SERVER",
      "CI_JOB_STATUS",
      "CI_JOB_TIMEOUT",
      "CI",
      "GITLAB_CI",
    ]);
    assert.deepEqual(list.slice(-5), [
      "CI_SHARED_ENVIRONMENT",
      "CI_RUNNER_VERSION",
      "CI_RUNNER_REVISION",
      "CI_RUNNER_EXECUTABLE_ARCH",
      "RUNNER_TEMP_PROJECT_DIR",
    ]);
    const v = variables([]);
    assert.equal(variableValue(v, "CI_PROJECT_DIR"), "/builds/0/group/project");
    assert.equal(variableValue(v, "CI_JOB_STATUS"), "running");
    assert.equal(variableValue(v, "CI_JOB_TIMEOUT"), "600");
    assert.equal(variableValue(v, "CI_CONCURRENT_ID"), "3");
    assert.equal(variableValue(v, "RUNNER_TEMP_PROJECT_DIR"), "/builds/0/group/project.tmp");
  });

  it("does not add CI or GITLAB_CI when the payload has them", () => {
    const v = variables([{ key: "CI", value: "true", public: true }]);
    assert.equal(v.list.filter((x) => x.key === "CI").length, 1);
  });

  it("uses CI_DISPOSABLE_ENVIRONMENT for other executors", () => {
    const v = resolveJobVariables({
      payload: testPayload(),
      executorName: "docker",
      buildsDir: "/builds",
      projectDir: "/builds/g/p",
      concurrentId: 0,
      timeoutSeconds: 1,
      runner: { version: "1", arch: "linux/amd64" },
    });
    assert.equal(variableValue(v, "CI_DISPOSABLE_ENVIRONMENT"), "true");
    assert.equal(findVariable(v, "CI_SHARED_ENVIRONMENT"), undefined);
  });

  it("expands references once, against runner and job variables, but not raw ones", () => {
    const v = variables([
      { key: "OUT", value: "$CI_PROJECT_DIR/out", public: true },
      { key: "RAW", value: "$CI_PROJECT_DIR/raw", public: true, raw: true },
      { key: "CHAIN", value: "$OUT/x", public: true },
      { key: "ESCAPED", value: "cost $$5", public: true },
      { key: "CONF", value: "content of $OUT", public: true, file: true },
      { key: "POINTS_AT_FILE", value: "$CONF", public: true },
    ]);
    assert.equal(variableValue(v, "OUT"), "/builds/0/group/project/out");
    assert.equal(variableValue(v, "RAW"), "$CI_PROJECT_DIR/raw");
    // one pass: $OUT is replaced by its unexpanded value
    assert.equal(variableValue(v, "CHAIN"), "$CI_PROJECT_DIR/out/x");
    assert.equal(variableValue(v, "ESCAPED"), "cost $5");
    assert.equal(variableValue(v, "POINTS_AT_FILE"), "/builds/0/group/project.tmp/CONF");
    assert.deepEqual(fileVariables(v), [{ key: "CONF", value: "content of $CI_PROJECT_DIR/out" }]);
    assert.equal(expandWith(v, "${CONF}!"), "/builds/0/group/project.tmp/CONF!");
  });

  it("lets later duplicates win", () => {
    const v = variables([
      { key: "X", value: "first", public: true },
      { key: "X", value: "second", public: true },
    ]);
    assert.equal(variableValue(v, "X"), "second");
  });

  it("lists masked values and sets CI_JOB_STATUS for after_script", () => {
    const v = variables([{ key: "S", value: "hidden-value", public: false, masked: true }]);
    assert.ok(maskedValues(v).includes("hidden-value"));
    assert.ok(maskedValues(v).includes("glcbt-64_TestJobToken0123456789"));
    assert.equal(variableValue(withJobStatus(v, "canceled"), "CI_JOB_STATUS"), "canceled");
    assert.equal(variableValue(v, "CI_JOB_STATUS"), "running");
  });
});
