/**
 * The `conveyor` command as a user meets it: the real bin script, a real git repository in a
 * temporary folder, exit codes and output formats of the command-line contract.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { conveyor, repository } from "./testing/cli-process.js";

const PIPELINE = `stages: [build, test]
build:
  stage: build
  script: make
test:
  script: make test
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
    - if: $CI_COMMIT_TAG
      when: manual
docs:
  script: make docs
  rules:
    - changes: [docs/**/*]
`;

describe("conveyor lint and plan", () => {
  let repo: string;
  before(() => {
    repo = repository({
      ".gitlab-ci.yml": PIPELINE,
      "broken.yml": "job:\n  scrip: x\n  stage: nope\n",
    });
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  test("lint exits 0 for a valid file", () => {
    const result = conveyor(repo, "lint");
    assert.equal(result.code, 0, result.stderr);
  });

  test("lint exits 1 with FILE:LINE:COL: message on stderr", () => {
    const result = conveyor(repo, "lint", "broken.yml");
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^broken\.yml:1:1: jobs job config should implement the script:, run:, or trigger: keyword$/m,
    );
  });

  test("lint --json reports valid and errors with positions, also through --file", () => {
    const result = conveyor(repo, "lint", "--file", "broken.yml", "--json");
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout);
    assert.equal(report.valid, false);
    assert.deepEqual(Object.keys(report.errors[0]), ["message", "file", "line", "column", "path"]);
  });

  test("plan without flags plans a push of the checked-out branch", () => {
    const plan = JSON.parse(conveyor(repo, "plan", "--json").stdout);
    assert.equal(plan.created, true);
    assert.deepEqual(
      plan.jobs.map((j: { name: string }) => j.name),
      ["build", "test", "docs"],
    );
  });

  test("plan follows --tag, --changed and --var", () => {
    const tag = JSON.parse(
      conveyor(repo, "plan", "--json", "--tag", "v1.0.0", "--changed", "src/a.c").stdout,
    );
    assert.deepEqual(
      tag.jobs.map((j: { name: string; when: string }) => [j.name, j.when]),
      [
        ["build", "on_success"],
        ["test", "manual"],
      ],
    );
    const feature = JSON.parse(
      conveyor(repo, "plan", "--json", "--branch", "feature", "--changed", "docs/a/b.md").stdout,
    );
    assert.deepEqual(
      feature.jobs.map((j: { name: string }) => j.name),
      ["build", "docs"],
    );
  });

  test("plan prints a table without --json", () => {
    const result = conveyor(repo, "plan", "--branch", "main");
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^STAGE\s+JOB\s+WHEN\s+ALLOW FAILURE\s+NEEDS$/m);
    assert.match(result.stdout, /^test\s+test\s+on_success\s+no\s+\(stage order\)$/m);
  });

  test("usage errors exit 2", () => {
    assert.equal(conveyor(repo, "plan", "--branch", "a", "--tag", "b").code, 2);
    assert.equal(conveyor(repo, "plan", "--bogus").code, 2);
    assert.equal(conveyor(repo, "lint", "missing.yml").code, 2);
    assert.equal(conveyor(repo, "frobnicate").code, 2);
    assert.equal(conveyor(repo, "plan", "--var", "novalue").code, 2);
  });

  test("a configuration error makes plan exit 1 with the lint message", () => {
    const result = conveyor(repo, "plan", "broken.yml", "--json");
    assert.equal(result.code, 1);
    const plan = JSON.parse(result.stdout);
    assert.equal(plan.created, false);
    assert.ok(plan.errors.length > 0);
  });
});

describe("rules:changes:compare_to", () => {
  test("compares with the named ref through git", () => {
    const dir = repository({
      ".gitlab-ci.yml": `docs:
  script: make docs
  rules:
    - changes:
        paths: [docs/**/*]
        compare_to: main
`,
    });
    try {
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.test", ...args], {
          cwd: dir,
          stdio: "ignore",
        });
      git("checkout", "-q", "-b", "feature");
      const before = JSON.parse(conveyor(dir, "plan", "--json").stdout);
      assert.equal(before.created, false);
      mkdirSync(join(dir, "docs"));
      writeFileSync(join(dir, "docs", "guide.md"), "# guide\n");
      git("add", "-A");
      git("commit", "-q", "-m", "docs");
      const after = JSON.parse(conveyor(dir, "plan", "--json").stdout);
      assert.deepEqual(
        after.jobs.map((j: { name: string }) => j.name),
        ["docs"],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("without a file, lint and plan read .gitlab-ci.yml at the repository root, also from a subfolder", () => {
  const dir = repository({
    ".gitlab-ci.yml": "job:\n  script: x\n",
    "src/app/main.c": "int main;\n",
  });
  try {
    const result = conveyor(join(dir, "src", "app"), "lint");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\.gitlab-ci\.yml: valid$/m);
    const plan = JSON.parse(conveyor(join(dir, "src"), "plan", "--json").stdout);
    assert.deepEqual(
      plan.jobs.map((j: { name: string }) => j.name),
      ["job"],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file in another repository is planned with that repository's facts, not the working directory's", () => {
  const here = repository({ ".gitlab-ci.yml": "here:\n  script: x\n" }, "main");
  const there = repository(
    {
      ".gitlab-ci.yml": 'there:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH == "feature"\n',
      "ci/other.yml": 'nested:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH == "feature"\n',
    },
    "feature",
  );
  try {
    for (const file of [join(there, ".gitlab-ci.yml"), join(there, "ci", "other.yml")]) {
      const result = conveyor(here, "plan", "--json", "--file", file);
      assert.equal(result.code, 0, result.stderr);
      const plan = JSON.parse(result.stdout);
      assert.equal(plan.created, true);
      assert.equal(plan.jobs.length, 1, `${file}: ${result.stdout}`);
    }
  } finally {
    rmSync(here, { recursive: true, force: true });
    rmSync(there, { recursive: true, force: true });
  }
});
