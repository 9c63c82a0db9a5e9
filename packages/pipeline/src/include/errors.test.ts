import assert from "node:assert/strict";
import { test } from "node:test";
import { errorsOf as errors, lines, resolveWith as resolve } from "../testing/include-harness.js";
import { integrityOf } from "./index.js";

test("missing files are reported with GitLab's wording, naming the including file and line", async () => {
  const r = await resolve(
    lines(
      "include:",
      "  - local: ci/missing.yml",
      "  - project: g/p",
      "    file: nope.yml",
      "  - template: Nope.gitlab-ci.yml",
      "  - remote: https://example.com/gone.yml",
      "  - component: example.com/g/c/build@1.0",
      "  - local: ci/empty.yml",
    ),
    { local: { "ci/empty.yml": "  \n" }, remote: {} },
  );
  assert.deepEqual(errors(r), [
    `Local file \`ci/missing.yml\` does not exist!`,
    `Project \`g/p\` file \`nope.yml\` does not exist!`,
    `Included file \`Nope.gitlab-ci.yml\` is empty or does not exist!`,
    `Included file \`https://example.com/gone.yml\` is empty or does not exist!`,
    `Component 'example.com/g/c/build@1.0' - content not found`,
    `Local file \`ci/empty.yml\` is empty!`,
  ]);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.file, d.line]),
    [
      [".gitlab-ci.yml", 2],
      [".gitlab-ci.yml", 3],
      [".gitlab-ci.yml", 5],
      [".gitlab-ci.yml", 6],
      [".gitlab-ci.yml", 7],
      [".gitlab-ci.yml", 8],
    ],
  );
});

test("an error in a nested file names that file, its line and the include chain", async () => {
  const r = await resolve("include: ci/a.yml\n", {
    local: { "ci/a.yml": lines("a: { script: a }", "include:", "  - local: ci/b.yml") },
  });
  assert.deepEqual(r.diagnostics, [
    {
      severity: "error",
      message: "Local file `ci/b.yml` does not exist! (included from .gitlab-ci.yml → ci/a.yml)",
      file: "ci/a.yml",
      line: 3,
      column: 5,
      path: "include",
    },
  ]);
});

test("invalid include entries get GitLab's messages", async () => {
  const r = await resolve(
    lines(
      "include:",
      "  - yolo: a.yml",
      "  - { local: a.yml, remote: 'https://example.com/a.yml' }",
      "  - local: a.txt",
      "  - template: Auto-DevOps.yml",
      "  - 42",
    ),
    {},
  );
  assert.deepEqual(errors(r), ["include config should be a hash or a string"]);
  const r2 = await resolve(
    lines(
      "include:",
      "  - { invalid: a.yml }",
      "  - { local: a.yml, template: 'x.gitlab-ci.yml' }",
      "  - local: a.txt",
      "  - template: Auto-DevOps.yml",
      "  - project: g/p",
      "  - remote: 'ftp://example.com/a.yml'",
      "  - artifact: gen.yml",
      "    job: build",
    ),
    {},
  );
  assert.deepEqual(errors(r2), [
    `include config contains unknown keys: invalid`,
    `Each include must use only one of: \`local\`, \`project\`, \`remote\`, \`template\`, \`artifact\`, \`component\``,
    `Included file \`a.txt\` does not have YAML extension!`,
    `Template file \`Auto-DevOps.yml\` is not a valid location!`,
    `include config must specify the file where to fetch the config from`,
    `Remote file \`ftp://example.com/a.yml\` does not have a valid address!`,
    `Including configs from artifacts is only allowed when triggering child pipelines`,
  ]);
  const r3 = await resolve("include: [{ ref: main }]\n", {});
  assert.deepEqual(errors(r3), [
    '`{"ref":"main"}` does not have a valid subkey for include. Valid subkeys are: `local`, `project`, `remote`, `template`, `artifact`, `component`',
  ]);
});

test("a cycle stops with an error naming the loop, and the rest still resolves", async () => {
  const r = await resolve(lines("include: ci/a.yml", "root: { script: r }"), {
    local: {
      "ci/a.yml": "include: ci/b.yml\na: { script: a }\n",
      "ci/b.yml": "include: ci/a.yml\nb: { script: b }\n",
    },
  });
  assert.deepEqual(errors(r), [
    "Included file `ci/a.yml` includes itself: .gitlab-ci.yml → ci/a.yml → ci/b.yml → ci/a.yml (included from .gitlab-ci.yml → ci/a.yml → ci/b.yml)",
  ]);
  assert.deepEqual(Object.keys(r.config), ["b", "a", "root"]);
});

// docs.gitlab.com/ci/yaml/includes/#use-nested-includes-with-duplicate-include-entries
test("the same file may be included twice: both count, the last one wins", async () => {
  const r = await resolve("include: [d.yml, o.yml, d.yml]\n", {
    local: { "d.yml": "default: { image: d }\n", "o.yml": "default: { image: o }\n" },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, { default: { image: "d" } });
  assert.equal(r.files.length, 3);
});

// docs.gitlab.com/ci/yaml/includes/#maximum-of-150-nested-includes-are-allowed-error
test("more includes than allowed stop with `Maximum of N nested includes are allowed!`", async () => {
  const local = {
    "a.yml": "include: b.yml\na: { script: a }\n",
    "b.yml": "include: c.yml\nb: {script: b}\n",
    "c.yml": "c: { script: c }\n",
  };
  const ok = await resolve("include: a.yml\n", { local }, { limits: { maxIncludes: 3 } });
  assert.deepEqual(errors(ok), []);
  const over = await resolve("include: a.yml\n", { local }, { limits: { maxIncludes: 2 } });
  assert.deepEqual(errors(over), [
    "Maximum of 2 nested includes are allowed! (included from .gitlab-ci.yml → a.yml → b.yml)",
  ]);
  const many = Object.fromEntries(
    Array.from({ length: 151 }, (_, i) => [`f${i}.yml`, `j${i}: { script: x }\n`]),
  );
  const list = Object.keys(many).map((name) => `  - ${name}`);
  const defaults = await resolve(lines("include:", ...list), { local: many });
  assert.deepEqual(errors(defaults), ["Maximum of 150 nested includes are allowed!"]);
  assert.equal(defaults.files.length, 150);
});

test("nesting deeper than maxDepth stops", async () => {
  const local = {
    "a.yml": "include: b.yml\n",
    "b.yml": "include: c.yml\n",
    "c.yml": "c: { script: c }\n",
  };
  const r = await resolve("include: a.yml\n", { local }, { limits: { maxDepth: 2 } });
  assert.deepEqual(errors(r), [
    "Maximum include depth of 2 exceeded by `c.yml` (included from .gitlab-ci.yml → a.yml → b.yml)",
  ]);
});

test("the time limit uses the injected clock", async () => {
  let clock = 0;
  const now = () => {
    clock += 20_000;
    return clock;
  };
  const r = await resolve(
    "include: [a.yml, b.yml]\n",
    { local: { "a.yml": "a: {script: a}\n", "b.yml": "b: {script: b}\n" } },
    { now },
  );
  assert.deepEqual(errors(r), ["Request timed out when fetching configuration files."]);
});

test("a remote fetcher that rejects (remote includes disabled) becomes a clear error", async () => {
  const r = await resolve(
    lines("stages: [test]", "include:", "  - remote: https://example.com/ci.yml"),
    { remote: "disabled" },
  );
  assert.deepEqual(
    r.diagnostics.map((d) => [d.message, d.file, d.line]),
    [
      [
        "Remote file `https://example.com/ci.yml` could not be fetched because remote includes are disabled!",
        ".gitlab-ci.yml",
        3,
      ],
    ],
  );
});

// docs.gitlab.com/ci/yaml/#includeintegrity
test("include:integrity accepts the matching hash and refuses another", async () => {
  const text = "r: { script: r }\n";
  const remote = { "https://example.com/r.yml": text };
  const good = await resolve(
    `include: [{ remote: 'https://example.com/r.yml', integrity: '${integrityOf(text)}' }]\n`,
    { remote },
  );
  assert.deepEqual(errors(good), []);
  const bad = await resolve(
    `include: [{ remote: 'https://example.com/r.yml', integrity: '${integrityOf("other")}' }]\n`,
    { remote },
  );
  assert.deepEqual(errors(bad), [
    "Remote file `https://example.com/r.yml` failed integrity check!",
  ]);
});

test("an included file's YAML error is reported in that file, with the chain when nested", async () => {
  const r = await resolve("include: a.yml\n", {
    local: { "a.yml": "include: b.yml\n", "b.yml": "b: [unclosed\n" },
  });
  const [d] = r.diagnostics;
  assert.equal(d?.file, "b.yml");
  assert.match(d?.message ?? "", /\(included from \.gitlab-ci\.yml → a\.yml\)$/);
});

// docs.gitlab.com/ci/yaml/#includetemplate: nested includes run without a project context.
test("a component inside a template cannot be used; a wildcard in another project is refused", async () => {
  const r = await resolve("include: { template: T.gitlab-ci.yml }\n", {
    templates: {
      "T.gitlab-ci.yml": "include: [{ component: example.com/g/p/c@1 }]\nt: { script: t }\n",
    },
  });
  assert.deepEqual(errors(r), [
    "Unable to use components outside of a project context (included from .gitlab-ci.yml → T.gitlab-ci.yml)",
  ]);
  const wild = await resolve("include: { project: g/p, file: a.yml }\n", {
    projects: { "g/p@HEAD:a.yml": "include: 'ci/*.yml'\na: { script: a }\n" },
  });
  assert.deepEqual(errors(wild), [
    "Local file `ci/*.yml` uses a wildcard, which Conveyor supports only in the pipeline's own project (included from .gitlab-ci.yml → g/p:a.yml)",
  ]);
});

test("a component asking for its sha gets a warning, not a silent value", async () => {
  const component = lines(
    "spec:",
    "  component: [sha, name]",
    "---",
    "$[[ component.name ]]:",
    "  script: echo '$[[ component.sha ]]'",
  );
  const r = await resolve("include: [{ component: example.com/g/p/lint@1 }]\n", {
    components: { "example.com/g/p/lint@1": component },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, { lint: { script: "echo ''" } });
  assert.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.file]),
    [["warning", "example.com/g/p/lint@1"]],
  );
});
