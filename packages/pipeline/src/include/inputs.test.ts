import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeLoad } from "../testing/fake-yaml.js";
import { loadYaml } from "../yaml/index.js";
import { type InterpolateOptions, interpolateInputs, posixEscape } from "./index.js";
import { mayHoldBlock } from "./interpolate.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

function run(text: string, inputs?: Record<string, unknown>, options?: InterpolateOptions) {
  const loaded = fakeLoad(text, "t.yml");
  assert.deepEqual(loaded.diagnostics, []);
  return interpolateInputs(loaded.value, loaded.header, inputs, "t.yml", options);
}

const messages = (r: { diagnostics: Array<{ message: string }> }) =>
  r.diagnostics.map((d) => d.message);

// docs.gitlab.com/ci/inputs/#input-types: a whole value keeps its type, inside a string it is text.
test("an input that is the whole value keeps its type; inside a string it becomes text", () => {
  const r = run(
    lines(
      "spec:",
      "  inputs:",
      "    list: { type: array }",
      "    flag: { type: boolean }",
      "    count: { type: number }",
      "    name: {}",
      "---",
      "job:",
      "  needs: $[[ inputs.list ]]",
      "  allow_failure: $[[ inputs.flag ]]",
      "  parallel: $[[ inputs.count ]]",
      "  script: 'echo $[[ inputs.name ]] x$[[ inputs.count ]] $[[ inputs.list ]] $[[ inputs.flag ]]'",
    ),
    { list: ["a", "b"], flag: false, count: 3, name: "web" },
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.value, {
    job: {
      needs: ["a", "b"],
      allow_failure: false,
      parallel: 3,
      script: 'echo web x3 ["a", "b"] false',
    },
  });
});

// docs.gitlab.com/ci/yaml/#specinputsdefault
test("defaults apply when a value is not given, and a missing required input is an error", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    stage: { default: test }",
    "    env:",
    "---",
    "job:",
    "  stage: $[[ inputs.stage ]]",
    "  script: $[[ inputs.env ]]",
  );
  const ok = run(text, { env: "prod" });
  assert.deepEqual(ok.value, { job: { stage: "test", script: "prod" } });
  const missing = run(text, {});
  assert.deepEqual(messages(missing), ["`env` input: required value has not been provided"]);
  assert.equal(missing.diagnostics[0]?.line, 4, "reported at the input's definition");
});

test("unknown input arguments and undeclared inputs in the body are errors", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    a: { default: x }",
    "---",
    "job:",
    "  script: $[[ inputs.b ]]",
  );
  assert.deepEqual(messages(run(text, { c: 1, d: 2 })), ["unknown input arguments: c, d"]);
  const undeclared = run(text, {});
  assert.deepEqual(messages(undeclared), ["unknown interpolation key: `b`"]);
  assert.deepEqual(
    [undeclared.diagnostics[0]?.file, undeclared.diagnostics[0]?.line],
    ["t.yml", 6],
  );
  assert.equal(undeclared.diagnostics[0]?.path, "job:script");
});

// docs.gitlab.com/ci/yaml/#specinputstype
test("type mismatches are errors; JSON text of a number, boolean or array is accepted", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    n: { type: number, default: 1 }",
    "    b: { type: boolean, default: true }",
    "    l: { type: array, default: [] }",
    "    s: { default: x }",
    "---",
    "job:",
    "  parallel: $[[ inputs.n ]]",
    "  allow_failure: $[[ inputs.b ]]",
    "  needs: $[[ inputs.l ]]",
    "  script: $[[ inputs.s ]]",
  );
  assert.deepEqual(messages(run(text, { n: "many", b: "yes", l: "one" })), [
    "`n` input: provided value is not a number",
    "`b` input: provided value is not a boolean",
    "`l` input: provided value is not an array",
  ]);
  const coerced = run(text, { n: "5", b: "false", l: '["x"]', s: 42 });
  assert.deepEqual(coerced.diagnostics, []);
  assert.deepEqual(coerced.value, {
    job: { parallel: 5, allow_failure: false, needs: ["x"], script: "42" },
  });
  const badDefault = run(
    lines("spec:", "  inputs:", "    n: { type: number, default: ten }", "---", "a: { script: x }"),
    {},
  );
  assert.deepEqual(messages(badDefault), ["`n` input: default value is not a number"]);
});

// docs.gitlab.com/ci/yaml/#specinputsoptions
test("options restrict the values, and a default outside them is an error", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    env: { options: [dev, prod], default: dev }",
    "    level: { type: number, options: [1, 2] }",
    "---",
    "job:",
    "  script: $[[ inputs.env ]]",
  );
  assert.deepEqual(messages(run(text, { env: "staging", level: 3 })), [
    "`env` input: `staging` cannot be used because it is not in the list of allowed options",
    "`level` input: `3` cannot be used because it is not in the list of the allowed options",
  ]);
  assert.deepEqual(run(text, { env: "prod", level: 2 }).diagnostics, []);
  const badDefault = lines(
    "spec:",
    "  inputs:",
    "    env: { options: [dev], default: qa }",
    "---",
    "j: { script: x }",
  );
  assert.deepEqual(messages(run(badDefault, {})), [
    "`env` input: `qa` cannot be used because it is not in the list of allowed options",
  ]);
  const boolOptions = lines(
    "spec:",
    "  inputs:",
    "    f: { type: boolean, options: [true], default: true }",
    "---",
    "j: { script: x }",
  );
  assert.deepEqual(messages(run(boolOptions, {})), [
    "`f` input: Options can only be used with string and number inputs",
  ]);
});

// docs.gitlab.com/ci/yaml/#specinputsregex: RE2, not anchored unless the pattern says so.
test("regex is matched with RE2", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    version: { regex: '^v\\d\\.\\d+(\\.\\d+)?$' }",
    "---",
    "j:",
    "  script: $[[ inputs.version ]]",
  );
  assert.deepEqual(run(text, { version: "v1.2.3" }).diagnostics, []);
  assert.deepEqual(messages(run(text, { version: "v1.A.B" })), [
    "`version` input: provided value does not match required RegEx pattern",
  ]);
  const invalid = lines(
    "spec:",
    "  inputs:",
    "    x: { regex: '(?<=a)b', default: b }",
    "---",
    "j: { script: x }",
  );
  assert.deepEqual(messages(run(invalid, {})), ["`x` input: invalid regular expression"]);
  const onNumber = lines(
    "spec:",
    "  inputs:",
    "    x: { type: number, regex: '\\d', default: 1 }",
    "---",
    "j: { script: x }",
  );
  assert.deepEqual(messages(run(onNumber, {})), [
    "`x` input: RegEx validation can only be used with string inputs",
  ]);
});

// docs.gitlab.com/ci/inputs/#predefined-interpolation-functions
test("functions: expand_vars, truncate, posix_escape and split, applied in order", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    test: { default: 'test $MY_VAR' }",
    "    raw: { default: \"it's a 'b'\" }",
    "    csv: { default: 'a, b,,c' }",
    "---",
    "job:",
    "  script: echo $[[ inputs.test | expand_vars | truncate(5,8) ]]",
    "  other: $[[ inputs.raw | posix_escape ]]",
    "  list: $[[ inputs.csv | split(',') ]]",
    "  digits: $[[ inputs.test | truncate(0, 4) ]]",
  );
  const r = run(text, {}, { expand: (value) => value.replace("$MY_VAR", "my value") });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.value, {
    job: {
      script: "echo my value",
      other: "it\\'s\\ a\\ \\'b\\'",
      list: ["a", "b", "c"],
      digits: "test",
    },
  });
  assert.equal(posixEscape(""), "''");
  assert.equal(posixEscape("a\nb"), "a'\n'b");
});

test("function errors use GitLab's wording", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    n: { type: number, default: 5 }",
    "    s: { default: abc }",
    "---",
    "a: $[[ inputs.n | truncate(0,1) ]]",
    "b: $[[ inputs.s | upcase ]]",
    "c: $[[ inputs.s | posix_escape | posix_escape | posix_escape | posix_escape ]]",
    "d: $[[ inputs ]]",
  );
  assert.deepEqual(messages(run(text, {})), [
    "error in `truncate` function: invalid input type: truncate can only be used with string inputs",
    "no function matching `upcase`: check that the function name, arguments, and types are correct",
    "too many functions in interpolation block",
    "invalid interpolation access pattern",
  ]);
});

test("mapping keys are interpolated, and `$[[ matrix.* ]]` is left for parallel:matrix", () => {
  const r = run(
    lines(
      "spec:",
      "  inputs:",
      "    prefix: { default: svc }",
      "---",
      "$[[ inputs.prefix ]]-job:",
      "  script: echo $[[ matrix.PROVIDER ]]",
    ),
    {},
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.value, { "svc-job": { script: "echo $[[ matrix.PROVIDER ]]" } });
});

// Gitlab::Ci::Config::Interpolation::Interpolator: no header, no interpolation.
test("a file without a header keeps `$[[ ]]` as written, with a warning", () => {
  const r = run(lines("job:", "  script: echo $[[ inputs.x ]]"), undefined);
  assert.deepEqual(r.value, { job: { script: "echo $[[ inputs.x ]]" } });
  assert.deepEqual(
    r.diagnostics.map((d) => d.severity),
    ["warning"],
  );
});

// The search for `$[[` in a file without a header is skipped when the text cannot give one.
test("a `$[[` that YAML makes from escapes, a joined line or base64 still gets the warning", async () => {
  const made = [
    'job:\n  script: "echo \\x24[[ inputs.x ]]"\n',
    'job:\n  script: "echo \\u0024\\u005b[ inputs.x ]]"\n',
    'job:\n  script: "echo $[\\\n      [ inputs.x ]]"\n',
    "job:\n  script: !!binary ZWNobyAkW1sgaW5wdXRzLnggXV0=\n",
  ];
  for (const text of made) {
    const loaded = await loadYaml(text, "t.yml");
    assert.deepEqual(loaded.value, { job: { script: "echo $[[ inputs.x ]]" } }, text);
    const r = interpolateInputs(loaded.value, loaded.header, undefined, "t.yml", { text });
    assert.deepEqual(
      r.diagnostics.map((d) => d.severity),
      ["warning"],
      text,
    );
  }
  // Text that cannot give one is not searched, and gives no warning.
  const plain = lines("job:", "  script: echo '$[ ['", "  image: $[", "    [x");
  assert.equal(mayHoldBlock(plain), false);
  const loaded = await loadYaml(plain, "t.yml");
  assert.deepEqual(
    interpolateInputs(loaded.value, undefined, undefined, "t.yml", { text: plain }).diagnostics,
    [],
  );
});

// docs.gitlab.com/ci/yaml/#specinputsrules
test("input rules choose options and default from other inputs", () => {
  const text = lines(
    "spec:",
    "  inputs:",
    "    env: { options: [development, production], default: development }",
    "    size:",
    "      rules:",
    "        - if: $[[ inputs.env ]] == 'development'",
    "          options: [small, medium]",
    "          default: small",
    "        - options: [large]",
    "          default: large",
    "---",
    "job:",
    "  script: $[[ inputs.size ]]",
  );
  assert.deepEqual(run(text, {}).value, { job: { script: "small" } });
  assert.deepEqual(run(text, { env: "production" }).value, { job: { script: "large" } });
  assert.deepEqual(messages(run(text, { env: "production", size: "small" })), [
    "`size` input: `small` cannot be used because it is not in the list of allowed options",
  ]);
});

test("invalid headers are reported with GitLab's entry wording and position", () => {
  const r = run(
    lines(
      "spec:",
      "  inputs:",
      "    a: { default: x, kind: y }",
      "    b: { type: text }",
      "    c:",
      "      options: [x]",
      "      rules:",
      "        - if: $[[ inputs.zz ]] == 'q'",
      "          default: q",
      "  unknown: 1",
      "---",
      "j: { script: x }",
    ),
    {},
  );
  assert.deepEqual(messages(r), [
    "header:spec config contains unknown keys: unknown",
    "header:spec:inputs:a config contains unknown keys: kind",
    "header:spec:inputs:b input type unknown value: text",
    "header:spec:inputs:c config these keys cannot be used together: rules, options",
    "header:spec:inputs:c config rule[0] references undefined inputs: zz",
  ]);
  assert.deepEqual(
    r.diagnostics.map((d) => d.line),
    [1, 3, 4, 5, 8],
  );
});

test("inputs given to a file without a header, or not as a hash, are errors", () => {
  assert.deepEqual(messages(run("j: { script: x }\n", { a: 1 })), [
    "Given inputs not defined in the `spec` section of the included configuration file",
  ]);
  const loaded = fakeLoad(
    lines("spec:", "  inputs:", "    a:", "---", "j: { script: x }"),
    "t.yml",
  );
  const notHash = interpolateInputs(
    loaded.value,
    loaded.header,
    ["a"] as unknown as Record<string, unknown>,
    "t.yml",
  );
  assert.deepEqual(messages(notHash), ["Given inputs must be a hash"]);
});
