import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { Diagnostic } from "../diagnostics.js";
import { fakeLoad } from "../testing/fake-yaml.js";
import { explainSchemaErrors } from "./explain.js";
import { schemaSha256 } from "../../schema/ci-validator.js";
import { validateSchema } from "./index.js";

const FILE = ".gitlab-ci.yml";

/** The configuration of `text`, every mapping and sequence registered with the source map. */
function loadWithPositions(text: string): unknown {
  return fakeLoad(text, FILE).value;
}

/** The findings (what `validateSchema` gives once the fast validator refused the document). */
function check(yaml: string): Diagnostic[] {
  return explainSchemaErrors(parse(yaml), FILE);
}

function only(yaml: string): Diagnostic {
  const diagnostics = check(yaml);
  assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.message).join("\n"));
  return diagnostics[0] as Diagnostic;
}

describe("validateSchema", () => {
  test("a valid configuration has no diagnostics", () => {
    const yaml = `
stages: [build, test]
variables: { A: "1", B: { value: x, description: y } }
default: { image: ruby:3, retry: 2 }
build:
  stage: build
  script: [make, [nested, list]]
  rules: [{ if: '$CI_COMMIT_BRANCH == "main"', when: manual }]
  cache: { key: deps, paths: [vendor/] }
.hidden: { anything: goes }
`;
    assert.deepEqual(check(yaml), []);
  });

  test("validateSchema: none for a valid document, the explained findings for another", async () => {
    assert.deepEqual(await validateSchema(parse("build: { script: make }"), FILE), []);
    const invalid = parse("build: { script: make, scrip: x }");
    const found = await validateSchema(invalid, FILE);
    assert.equal(found.length, 1);
    assert.deepEqual(found, explainSchemaErrors(invalid, FILE));
  });

  test("the generated validator is built from the shipped ci.json", () => {
    const schema = readFileSync(new URL("../../schema/ci.json", import.meta.url));
    assert.equal(schemaSha256, createHash("sha256").update(schema).digest("hex"));
  });

  test("unknown keys of a job, in GitLab's wording", () => {
    const d = only("build: { script: make, scrip: x, foo: 1 }");
    assert.equal(d.message, "jobs:build config contains unknown keys: scrip, foo");
    assert.equal(d.path, "jobs:build");
    assert.equal(d.file, FILE);
    assert.equal(d.line, undefined);
  });

  test("positions point at the first unknown key", () => {
    const config = loadWithPositions("stages: [a]\nbuild:\n  script: make\n  scrip: x\n");
    const [d] = explainSchemaErrors(config, FILE);
    assert.deepEqual(
      { file: d?.file, line: d?.line, column: d?.column, path: d?.path },
      { file: FILE, line: 4, column: 3, path: "jobs:build" },
    );
  });

  test("positions of a value inside an array item", () => {
    const config = loadWithPositions("build:\n  script:\n    - make\n    - { echo: x }\n");
    const [d] = explainSchemaErrors(config, "ci/build.yml");
    assert.equal(d?.path, "jobs:build:script");
    assert.deepEqual([d?.file, d?.line, d?.column], [FILE, 4, 7]);
  });

  test("job when: an attribute of the job", () => {
    const d = only("build: { script: make, when: sometimes }");
    assert.equal(
      d.message,
      "jobs:build when should be one of: on_success, on_failure, always, manual, delayed",
    );
    assert.equal(d.path, "jobs:build:when");
  });

  test("script: one message for the whole keyword, not per alternative", () => {
    for (const script of ["42", "[{ echo: x }]", "[make, 3]", "{ a: b }"]) {
      const d = only(`build: { script: ${script} }`);
      assert.equal(
        d.message,
        "jobs:build:script config should be a string or a nested array of strings up to 10 levels deep",
      );
      assert.equal(d.path, "jobs:build:script");
    }
    assert.equal(only('build: { script: "" }').message, "jobs:build script can't be blank");
    assert.equal(
      only("before_script: 3").message,
      "before_script config should be a string or a nested array of strings up to 10 levels deep",
    );
  });

  test("variables", () => {
    assert.equal(
      only("variables: [a]").message,
      "variables config should be a hash of key value pairs",
    );
    assert.equal(
      only("variables: { A: [1] }").message,
      "variable definition must be either a string or a hash",
    );
    const d = only("build: { script: x, variables: { A: { value: x, options: [x] } } }");
    assert.equal(d.message, "jobs:build:variables:a config uses invalid data keys: options");
    assert.equal(d.path, "jobs:build:variables:A");
  });

  test("a top-level key that is not a mapping is a job without script", () => {
    const d = only("imagee: ruby:3");
    assert.equal(
      d.message,
      "jobs imagee config should implement the script:, run:, or trigger: keyword",
    );
    assert.equal(d.path, "jobs:imagee");
    assert.equal(
      only("build_job: 3").message,
      "jobs build_job config should implement the script:, run:, or trigger: keyword",
    );
  });

  test("a mapping without script, run or trigger is not validated inside, as in GitLab", () => {
    const d = only("build: { scrip: make, when: sometimes }");
    assert.equal(
      d.message,
      "jobs build config should implement the script:, run:, or trigger: keyword",
    );
    assert.equal(d.path, "jobs:build");
    const config = loadWithPositions("stages: [a]\nbuild:\n  scrip: make\n");
    assert.deepEqual(
      explainSchemaErrors(config, FILE).map((x) => [x.line, x.column]),
      [[2, 1]],
    );
    assert.deepEqual(
      check("build: { stage: test }"),
      [],
      "the schema itself does not require script",
    );
  });

  test("global keywords keep their own paths", () => {
    assert.equal(
      only("workflow: { rules: [{ iff: x }] }").message,
      "workflow:rules:rule config contains unknown keys: iff",
    );
    assert.equal(
      only("default: { image: 3 }").message,
      "default:image config should be a hash or a string",
    );
    assert.equal(only("default: { foo: 1 }").message, "default config contains unknown keys: foo");
    assert.equal(
      only("stages: build").message,
      "stages config should be an array of strings or a nested array of strings up to 10 levels deep",
    );
    assert.equal(only("- a").message, "Invalid configuration format");
  });

  test("alternatives collapse to the closest one", () => {
    assert.equal(
      only("include: [{ locl: a.yml }]").message,
      "include config contains unknown keys: locl",
    );
    assert.equal(
      only("include: [{ project: a/b }]").message,
      "include config missing required keys: file",
    );
    assert.equal(
      only("build: { script: x, needs: [{ job: a, project: p }] }").message,
      "jobs:build:needs:need config missing required keys: ref",
    );
    assert.equal(
      only("build: { script: x, needs: [{ job: a, parallel: 3 }] }").message,
      "jobs:build:needs:need:parallel config should be a hash",
    );
    assert.equal(
      only("build: { script: x, image: { name: ruby, foo: 1 } }").message,
      "jobs:build:image config contains unknown keys: foo",
    );
    assert.equal(
      only("build: { script: x, retry: { max: 5 } }").message,
      "jobs:build:retry:max config must be less than or equal to 2",
    );
    assert.match(
      only("build: { script: x, retry: { when: bogus } }").message,
      /^jobs:build:retry:when config should be one of: always, unknown_failure, script_failure, /,
    );
  });

  test("array items: entries are named, other arrays stand for their items", () => {
    assert.equal(
      only("build: { script: x, services: [{ name: a, alias: 3 }] }").message,
      "jobs:build:services:service alias should be a string",
    );
    assert.equal(
      only("build: { script: x, tags: [a, { b: 1 }] }").message,
      "jobs:build:tags config should be an array of strings",
    );
    const d = only("build: { script: x, run: [{ name: a, script: b, env: [x] }] }");
    assert.equal(d.message, "jobs:build:run:env config should be a hash");
    assert.equal(d.path, "jobs:build:run:env");
    assert.equal(
      only("include: [{ local: 3 }]").message,
      "include:local config should be a string",
    );
  });

  test("GitLab's special cases", () => {
    assert.equal(
      only("build: { script: x, when: delayed }").message,
      "jobs:build start in should be a duration",
    );
    assert.equal(
      only("build: { script: x, cache: { key: a/b } }").message,
      'jobs:build:cache:key config cannot contain the "/" character',
    );
    assert.equal(
      only("build: { script: x, rules: [{ when: sometimes }] }").message,
      "jobs:build:rules:rule when unknown value: sometimes",
    );
    assert.equal(
      only("build: { script: x, artifacts: { access: all, public: true } }").message,
      "jobs:build:artifacts config contains disallowed keys: public",
    );
    assert.equal(
      only("build: { script: x, dependencies: a }").message,
      "jobs:build dependencies should be an array of strings",
    );
  });

  test("messages are lower-cased as GitLab's are; paths keep the user's spelling", () => {
    const d = only("Build: { script: x, Scrip: y }");
    assert.equal(d.message, "jobs:build config contains unknown keys: scrip");
    assert.equal(d.path, "jobs:Build");
  });

  test("independent mistakes give one diagnostic each, in document order", () => {
    const yaml = `
variables: [a]
build: { script: x, when: sometimes, foo: 1 }
test: { script: 3 }
`;
    assert.deepEqual(
      check(yaml).map((d) => d.message),
      [
        "variables config should be a hash of key value pairs",
        "jobs:build when should be one of: on_success, on_failure, always, manual, delayed",
        "jobs:build config contains unknown keys: foo",
        "jobs:test:script config should be a string or a nested array of strings up to 10 levels deep",
      ],
    );
  });
});
