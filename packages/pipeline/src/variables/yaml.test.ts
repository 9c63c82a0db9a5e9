import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseYamlVariables, UNKNOWN_VARIABLE_FORM } from "./yaml.js";

function values(result: ReturnType<typeof parseYamlVariables>): Record<string, string> {
  return Object.fromEntries(result.variables.map((v) => [v.key, v.value]));
}

describe("parseYamlVariables: value forms", () => {
  it("turns scalars into text as Ruby's to_s does", () => {
    const result = parseYamlVariables(
      { S: "text", I: 5349, F: 1.5, BIG: 10n, T: true, N: false, E: null, Z: 0 },
      "variables",
    );
    assert.deepEqual(result.problems, []);
    assert.deepEqual(values(result), {
      S: "text",
      I: "5349",
      F: "1.5",
      BIG: "10",
      T: "true",
      N: "false",
      E: "",
      Z: "0",
    });
    assert.ok(result.variables.every((v) => v.source === "yaml-global"));
  });

  it("formats floats like Ruby when the loader keeps integers as bigint", () => {
    const result = parseYamlVariables({ ONE: 1, BIG: 1e16, SMALL: 0.00001, INT: 3n }, "variables", {
      floatNumbers: true,
    });
    assert.deepEqual(values(result), { ONE: "1.0", BIG: "1.0e+16", SMALL: "1.0e-05", INT: "3" });
  });

  it("formats an integral number as an integer otherwise", () => {
    assert.deepEqual(values(parseYamlVariables({ V: 1.0, L: 2 ** 60 }, "variables")), {
      V: "1",
      L: "1152921504606846976",
    });
  });

  it("reads the hash form with description, options and expand at the top level", () => {
    const result = parseYamlVariables(
      {
        DEPLOY_ENV: {
          value: "staging",
          description: "Where to deploy",
          options: ["staging", "production"],
        },
        RAW: { value: "$NOT_A_REF", expand: false },
        EXPANDED: { value: 12, expand: true },
      },
      "variables",
    );
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.variables, [
      {
        key: "DEPLOY_ENV",
        value: "staging",
        source: "yaml-global",
        description: "Where to deploy",
        options: ["staging", "production"],
      },
      { key: "RAW", value: "$NOT_A_REF", source: "yaml-global", raw: true },
      { key: "EXPANDED", value: "12", source: "yaml-global" },
    ]);
  });

  it("reads value and expand in a job", () => {
    const result = parseYamlVariables(
      { A: { value: "x", expand: false }, B: "y" },
      "jobs:build:variables",
    );
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.variables, [
      { key: "A", value: "x", source: "yaml-job", raw: true },
      { key: "B", value: "y", source: "yaml-job" },
    ]);
  });

  it("reads a hash without value as the empty string", () => {
    assert.deepEqual(values(parseYamlVariables({ A: { description: "d" } }, "variables")), {
      A: "",
    });
  });

  it("accepts any key, as GitLab does not check variable names", () => {
    const result = parseYamlVariables({ "my-var": "1", "1ST": "2", "has space": "3" }, "variables");
    assert.deepEqual(result.problems, []);
    assert.equal(result.variables.length, 3);
  });

  it("treats null and absent as an empty block", () => {
    assert.deepEqual(parseYamlVariables(null, "variables"), { variables: [], problems: [] });
    assert.deepEqual(parseYamlVariables(undefined, "jobs:a:variables"), {
      variables: [],
      problems: [],
    });
  });

  it("takes the source from the options or the path", () => {
    assert.equal(
      parseYamlVariables({ A: "1" }, "jobs:a:rules:0:variables").variables[0]?.source,
      "rules",
    );
    assert.equal(
      parseYamlVariables({ A: "1" }, "workflow:rules:0:variables", { source: "workflow-rules" })
        .variables[0]?.source,
      "workflow-rules",
    );
  });
});

describe("parseYamlVariables: problems in GitLab's words", () => {
  it("rejects a block that is not a hash", () => {
    assert.deepEqual(parseYamlVariables(["VAR", "test"], "variables").problems, [
      { message: "variables config should be a hash", path: "variables" },
    ]);
    assert.deepEqual(parseYamlVariables("A=1", "jobs:Build:variables").problems, [
      { message: "jobs:build:variables config should be a hash", path: "jobs:Build:variables" },
    ]);
  });

  it("rejects description and options in a job", () => {
    const result = parseYamlVariables(
      { VAR1: "val 1", VAR2: { value: "val 2", description: "hello var 2" } },
      "jobs:rspec:variables",
    );
    assert.deepEqual(result.problems, [
      {
        message: "jobs:rspec:variables:var2 config uses invalid data keys: description",
        path: "jobs:rspec:variables:VAR2",
      },
    ]);
    assert.deepEqual(values(result), { VAR1: "val 1" });
  });

  it("rejects unknown keys of the hash form", () => {
    const result = parseYamlVariables(
      { VARIABLE_1: { value: "value 1", hello: "x", other: 1 } },
      "variables",
    );
    assert.deepEqual(
      result.problems.map((p) => p.message),
      ["variables:variable_1 config uses invalid data keys: hello, other"],
    );
  });

  it("rejects the hash form in rules:variables", () => {
    const result = parseYamlVariables(
      { VAR: { value: "x" }, EMPTY: null },
      "jobs:a:rules:0:variables",
    );
    assert.deepEqual(
      result.problems.map((p) => p.message),
      [
        "jobs:a:rules:0:variables:var config must be a string",
        "jobs:a:rules:0:variables:empty config must be a string",
      ],
    );
  });

  it("checks the types inside the hash form", () => {
    const result = parseYamlVariables(
      { A: { value: ["x"], expand: "true", description: { a: 1 }, options: [1, 2] } },
      "variables",
    );
    assert.deepEqual(
      result.problems.map((p) => p.message),
      [
        "variables:a config value must be a scalar",
        "variables:a config description must be an alphanumeric string",
        "variables:a config expand should be a boolean value",
        "variables:a config options should be an array of strings",
        "variables:a config value must be present in options",
      ],
    );
    assert.deepEqual(result.variables, []);
  });

  it("requires the value to be one of the options", () => {
    const result = parseYamlVariables(
      { ENV: { value: "qa", options: ["staging", "production"] } },
      "variables",
    );
    assert.deepEqual(
      result.problems.map((p) => p.message),
      ["variables:env config value must be present in options"],
    );
  });

  it("rejects a list as a value", () => {
    const result = parseYamlVariables({ LIST: ["a", "b"], OK: "fine" }, "variables");
    assert.deepEqual(result.problems, [{ message: UNKNOWN_VARIABLE_FORM, path: "variables:LIST" }]);
    assert.deepEqual(values(result), { OK: "fine" });
  });
});
