import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateExpression, isValidExpression } from "./index.js";

type Variables = Readonly<Record<string, string>>;

interface Example {
  readonly expression: string;
  readonly variables: Variables;
  readonly expected: boolean;
}

const check = (examples: readonly Example[]) => {
  for (const { expression, variables, expected } of examples) {
    assert.equal(isValidExpression(expression), true, `valid: ${expression}`);
    const actual = evaluateExpression(expression, (name) => variables[name]);
    assert.equal(actual, expected, `${expression} with ${JSON.stringify(variables)}`);
  }
};

const MR = { CI_PIPELINE_SOURCE: "merge_request_event" };
const PUSH_MAIN = {
  CI_PIPELINE_SOURCE: "push",
  CI_COMMIT_BRANCH: "main",
  CI_DEFAULT_BRANCH: "main",
  CI_COMMIT_TITLE: "Merge branch 'x' into 'main'",
};

test("docs.gitlab.com ci/jobs/job_rules: common if clauses with predefined variables", () => {
  check([
    { expression: '$CI_PIPELINE_SOURCE == "merge_request_event"', variables: MR, expected: true },
    { expression: '$CI_PIPELINE_SOURCE == "schedule"', variables: MR, expected: false },
    { expression: "$CI_COMMIT_TAG", variables: PUSH_MAIN, expected: false },
    { expression: "$CI_COMMIT_BRANCH", variables: PUSH_MAIN, expected: true },
    { expression: '$CI_COMMIT_BRANCH == "main"', variables: PUSH_MAIN, expected: true },
    { expression: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", variables: PUSH_MAIN, expected: true },
    {
      expression: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_COMMIT_TITLE =~ /Merge branch.*/",
      variables: PUSH_MAIN,
      expected: true,
    },
    {
      expression: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_COMMIT_TITLE =~ /Merge branch.*/",
      variables: { ...PUSH_MAIN, CI_COMMIT_TITLE: "Fix typo" },
      expected: false,
    },
    {
      expression: '$CUSTOM_VARIABLE == "value1"',
      variables: { CUSTOM_VARIABLE: "value1" },
      expected: true,
    },
  ]);
});

test("docs.gitlab.com ci/jobs/job_rules: complex rules with parentheses", () => {
  const expression =
    '($CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_COMMIT_BRANCH == "develop") && $MY_VARIABLE';
  check([
    { expression, variables: { ...PUSH_MAIN, MY_VARIABLE: "1" }, expected: true },
    {
      expression,
      variables: { CI_COMMIT_BRANCH: "develop", CI_DEFAULT_BRANCH: "main", MY_VARIABLE: "1" },
      expected: true,
    },
    {
      expression,
      variables: { CI_COMMIT_BRANCH: "develop", CI_DEFAULT_BRANCH: "main" },
      expected: false,
    },
    {
      expression,
      variables: { CI_COMMIT_BRANCH: "topic", CI_DEFAULT_BRANCH: "main", MY_VARIABLE: "1" },
      expected: false,
    },
  ]);
});

test("docs.gitlab.com ci/jobs/job_rules: CI/CD variable expressions (strings, null, empty)", () => {
  const set = { VARIABLE: "some value", VARIABLE_1: "a", VARIABLE_2: "a" };
  const empty = { VARIABLE: "" };
  check([
    { expression: '$VARIABLE == "some value"', variables: set, expected: true },
    { expression: "$VARIABLE == 'some value'", variables: set, expected: true },
    { expression: '$VARIABLE != "some value"', variables: set, expected: false },
    { expression: "$VARIABLE_1 == $VARIABLE_2", variables: set, expected: true },
    { expression: "$VARIABLE_1 != $VARIABLE_2", variables: set, expected: false },
    { expression: "$VARIABLE == null", variables: {}, expected: true },
    { expression: "$VARIABLE != null", variables: set, expected: true },
    { expression: "$VARIABLE == null", variables: empty, expected: false },
    { expression: '$VARIABLE == ""', variables: empty, expected: true },
    { expression: '$VARIABLE != ""', variables: empty, expected: false },
    { expression: "$VARIABLE", variables: set, expected: true },
    { expression: "$VARIABLE", variables: empty, expected: false },
    { expression: "$VARIABLE", variables: {}, expected: false },
  ]);
});

test("docs.gitlab.com ci/jobs/job_rules: compare a variable to a regular expression", () => {
  check([
    {
      expression: "$VARIABLE =~ /^content.*/",
      variables: { VARIABLE: "content-x" },
      expected: true,
    },
    {
      expression: "$VARIABLE !~ /^content.*/",
      variables: { VARIABLE: "content-x" },
      expected: false,
    },
    {
      expression: "$VARIABLE =~ /^content.*/",
      variables: { VARIABLE: "my-content" },
      expected: false,
    },
    { expression: "$VARIABLE =~ /pattern/i", variables: { VARIABLE: "PATTERN" }, expected: true },
    { expression: "$VARIABLE =~ /pattern/", variables: { VARIABLE: "PATTERN" }, expected: false },
    { expression: "$BRANCH =~ /issue/", variables: { BRANCH: "severe-issues" }, expected: true },
    { expression: "$BRANCH =~ /^issue-.*$/", variables: { BRANCH: "issue-12" }, expected: true },
    { expression: "$BRANCH =~ /^issue-/", variables: { BRANCH: "issue-12" }, expected: true },
    {
      expression: "$BRANCH =~ /^issue-/",
      variables: { BRANCH: "severe-issue-12" },
      expected: false,
    },
    { expression: "$REF =~ /^v\\x40main$/", variables: { REF: "v@main" }, expected: true },
  ]);
  assert.equal(
    isValidExpression("$VARIABLE =~ /./"),
    false,
    "single-character regular expressions are invalid",
  );
});

test("docs.gitlab.com ci/jobs/job_rules: store a regular expression in a variable", () => {
  check([
    {
      expression: "$teststring =~ $pattern",
      variables: { pattern: "/^ab.*/", teststring: "abcde" },
      expected: true,
    },
    {
      expression: "$teststring =~ $pattern",
      variables: { pattern: "/^ab.*/", teststring: "fghij" },
      expected: false,
    },
    // Variables inside a pattern are not resolved.
    {
      expression: "$CI_JOB_NAME =~ /$string1/",
      variables: { CI_JOB_NAME: "regex-job1", string1: "regex-job1" },
      expected: false,
    },
    {
      expression: "$CI_JOB_NAME =~ $pattern",
      variables: { CI_JOB_NAME: "regex-job2", string2: "regex-job2", pattern: "/$string2/" },
      expected: false,
    },
  ]);
});

test("docs.gitlab.com ci/jobs/job_rules: join variable expressions together", () => {
  const vars = { VARIABLE1: "content-1", VARIABLE2: "something", VARIABLE3: "" };
  check([
    {
      expression: '$VARIABLE1 =~ /^content.*/ && $VARIABLE2 == "something"',
      variables: vars,
      expected: true,
    },
    {
      expression: "$VARIABLE1 =~ /^content.*/ && $VARIABLE2 =~ /thing$/ && $VARIABLE3",
      variables: vars,
      expected: false,
    },
    // && before ||: true || (true && false)
    {
      expression: "$VARIABLE1 =~ /^content.*/ || $VARIABLE2 =~ /thing$/ && $VARIABLE3",
      variables: vars,
      expected: true,
    },
    {
      expression:
        "($VARIABLE1 =~ /^content.*/ || $VARIABLE2) && ($VARIABLE3 =~ /thing$/ || $VARIABLE4)",
      variables: vars,
      expected: false,
    },
    {
      expression: "($VARIABLE1 =~ /^content.*/ || $VARIABLE2 =~ /thing$/) && $VARIABLE3",
      variables: { ...vars, VARIABLE3: "yes" },
      expected: true,
    },
    {
      expression:
        '$CI_COMMIT_BRANCH == "my-branch" || (($VARIABLE1 == "thing" || $VARIABLE2 == "thing") && $VARIABLE3)',
      variables: { VARIABLE2: "thing", VARIABLE3: "yes" },
      expected: true,
    },
  ]);
});

test("docs.gitlab.com ci/jobs/job_rules: troubleshooting =~ with a non-regex right side", () => {
  check([
    { expression: '"23" =~ "1234"', variables: {}, expected: true },
    { expression: '"23" =~ /1234/', variables: {}, expected: false },
  ]);
});

test("docs.gitlab.com ci/yaml rules:if: variables are always formatted as $VARIABLE", () => {
  assert.equal(isValidExpression("$CI_COMMIT_BRANCH == 'main'"), true);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text GitLab rejects
  assert.equal(isValidExpression("${CI_COMMIT_BRANCH} == 'main'"), false);
  check([
    {
      expression:
        "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME =~ /^feature/ && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == $CI_DEFAULT_BRANCH",
      variables: {
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/x",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
        CI_DEFAULT_BRANCH: "main",
      },
      expected: true,
    },
  ]);
});
