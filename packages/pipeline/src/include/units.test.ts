import assert from "node:assert/strict";
import { test } from "node:test";
import { rubyInspectSymbolKeys, rubyToSSymbolKeys } from "../ruby/inspect.js";
import { evaluateCondition, referencedInputs } from "./inputs/condition.js";
import { parseComponentAddress } from "./read.js";
import { matchWildcard, wildcardToRegex } from "./wildcard.js";

// Repository#search_files_by_wildcard_path: `**` → `.*?`, `*` → `[^/]*?`, everything else literal.
test("wildcard patterns escape regex characters and anchor the whole path", () => {
  assert.equal(wildcardToRegex("a.b/*.yml"), "^a\\.b/[^/]*?\\.yml$");
  const paths = ["ci/a.yml", "ciXa.yml", "ci/a.yml.bak", "ci/(x).yml", "ci/deep/b.yml"];
  assert.deepEqual(matchWildcard("ci/*.yml", paths), ["ci/(x).yml", "ci/a.yml"]);
  assert.deepEqual(matchWildcard("ci/**.yml", paths), ["ci/(x).yml", "ci/a.yml", "ci/deep/b.yml"]);
});

// docs.gitlab.com/ci/inputs/#define-conditional-input-options-with-specinputsrules
test("input rule conditions: ==, !=, &&, ||, parentheses, booleans", () => {
  const inputs = { cloud: "aws", env: "prod", publish: true };
  assert.equal(
    evaluateCondition("$[[ inputs.cloud ]] == 'aws' && $[[ inputs.env ]] == 'prod'", inputs),
    true,
  );
  assert.equal(
    evaluateCondition("$[[ inputs.cloud ]] == 'gcp' || $[[ inputs.env ]] != \"prod\"", inputs),
    false,
  );
  assert.equal(
    evaluateCondition(
      "($[[ inputs.cloud ]] == 'gcp' || $[[ inputs.cloud ]] == 'aws') && $[[ inputs.publish ]] == true",
      inputs,
    ),
    true,
  );
  assert.equal(evaluateCondition("$[[ inputs.publish ]] == false", inputs), false);
  assert.equal(evaluateCondition("$[[ inputs.missing ]] == null", inputs), true);
  assert.throws(
    () => evaluateCondition("$[[ inputs.cloud ]] === 'aws'", inputs),
    /invalid expression syntax/,
  );
  assert.deepEqual(
    referencedInputs("$[[ inputs.a ]] == 'x' || $[[ inputs.b ]] == $[[ inputs.a ]]"),
    ["a", "b"],
  );
});

test("values become text the way Ruby's to_s prints them", () => {
  assert.equal(rubyToSSymbolKeys(null), "");
  assert.equal(rubyToSSymbolKeys(["a", 1, true, null]), '["a", 1, true, nil]');
  assert.equal(rubyInspectSymbolKeys({ if: "$A", "a-b": [1] }), '{if: "$A", "a-b": [1]}');
});

// Gitlab::Ci::Components::InstancePath: the last `/` separates project and component name.
test("component addresses split into project, name and reference", () => {
  assert.deepEqual(
    parseComponentAddress("gitlab.example.com/group/sub/project/secret-detection@1.0"),
    {
      project: "group/sub/project",
      name: "secret-detection",
      reference: "1.0",
    },
  );
});
