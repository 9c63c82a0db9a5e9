import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf } from "../source-map.js";
import { errorsOf as errors, lines, resolveWith as resolve } from "../testing/include-harness.js";

// docs.gitlab.com/ci/yaml/includes/#include-a-single-configuration-file
test("a single string is a local file, or a remote file when it is a URL", async () => {
  const r = await resolve(lines("include: 'ci/a.yml'", "job: { script: main }"), {
    local: { "ci/a.yml": lines("a: { script: a }") },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, { a: { script: "a" }, job: { script: "main" } });
  assert.deepEqual(
    r.files.map((f) => [f.type, f.file]),
    [["local", "ci/a.yml"]],
  );

  const remote = await resolve(lines("include: 'https://example.com/ci/r.yml'"), {
    remote: { "https://example.com/ci/r.yml": lines("r: { script: r }") },
  });
  assert.deepEqual(remote.config, { r: { script: "r" } });
  assert.deepEqual(remote.reads, ["remote:https://example.com/ci/r.yml"]);
});

// docs.gitlab.com/ci/yaml/#includelocal: a leading `/` is optional.
test("include:local reads the path with or without a leading slash", async () => {
  const r = await resolve(lines("include:", "  - local: /ci/a.yml", "  - local: ci/b.yaml"), {
    local: { "ci/a.yml": "a: { script: a }\n", "ci/b.yaml": "b: { script: b }\n" },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.reads, ["local:ci/a.yml", "local:ci/b.yaml"]);
  assert.deepEqual(Object.keys(r.config), ["a", "b"]);
});

// docs.gitlab.com/ci/yaml/#includeproject, #includetemplate, #includeremote
test("project (file list and ref), template and remote forms are read through the source", async () => {
  const r = await resolve(
    lines(
      "include:",
      "  - project: My-Group/tools",
      "    ref: v1.0",
      "    file: [/ci/one.yml, ci/two.yml]",
      "  - project: my-group/tools",
      "    file: ci/three.yml",
      "  - template: Jobs/Build.gitlab-ci.yml",
      "  - remote: https://example.com/r.yml",
    ),
    {
      projects: {
        "my-group/tools@v1.0:ci/one.yml": "one: { script: 1 }\n",
        "my-group/tools@v1.0:ci/two.yml": "two: { script: 2 }\n",
        "my-group/tools@HEAD:ci/three.yml": "three: { script: 3 }\n",
      },
      templates: { "Jobs/Build.gitlab-ci.yml": "build: { script: b }\n" },
      remote: { "https://example.com/r.yml": "remote: { script: r }\n" },
    },
  );
  assert.deepEqual(errors(r), []);
  assert.deepEqual(Object.keys(r.config), ["one", "two", "three", "build", "remote"]);
  assert.deepEqual(
    r.files.map((f) => [f.type, f.file, f.ref]),
    [
      ["project", "my-group/tools:ci/one.yml", "v1.0"],
      ["project", "my-group/tools:ci/two.yml", "v1.0"],
      ["project", "my-group/tools:ci/three.yml", undefined],
      ["template", "Jobs/Build.gitlab-ci.yml", undefined],
      ["remote", "https://example.com/r.yml", undefined],
    ],
  );
});

// docs.gitlab.com/ci/yaml/includes/#merge-method-for-include
test("included files merge in order, the including file on top; hashes merge, arrays replace", async () => {
  const r = await resolve(
    lines(
      "include: [first.yml, second.yml]",
      "variables: { USER: root }",
      "test:",
      "  rules: [{ when: manual }]",
      "  artifacts: { reports: { junit: rspec.xml } }",
    ),
    {
      local: {
        "first.yml": lines(
          "variables: { USER: first, PASSWORD: one }",
          "test: { script: [a, b], rules: [{ when: never }] }",
        ),
        "second.yml": lines(
          "variables: { PASSWORD: two }",
          "test:",
          "  script: [c]",
          "  artifacts: { reports: { dotenv: deploy.env } }",
        ),
      },
    },
  );
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, {
    variables: { USER: "root", PASSWORD: "two" },
    test: {
      script: ["c"],
      rules: [{ when: "manual" }],
      artifacts: { reports: { dotenv: "deploy.env", junit: "rspec.xml" } },
    },
  });
});

// docs.gitlab.com/ci/yaml/includes/#use-includelocal-with-wildcard-file-paths
test("wildcards: `*` stays in one folder, `**` crosses folders", async () => {
  const local = {
    "configs/a.yml": "a: { script: a }\n",
    "configs/b.yml": "b: { script: b }\n",
    "configs/sub/c.yml": "c: { script: c }\n",
    "configs/d.yaml": "d: { script: d }\n",
    "other/e.yml": "e: { script: e }\n",
  };
  const one = await resolve("include: 'configs/*.yml'\n", { local });
  assert.deepEqual(Object.keys(one.config), ["a", "b"]);
  const all = await resolve("include: '/configs/**.yml'\n", { local });
  assert.deepEqual(Object.keys(all.config), ["a", "b", "c"]);
  const sub = await resolve("include: { local: 'configs/**/*.yml' }\n", { local });
  assert.deepEqual(Object.keys(sub.config), ["c"]);
  const none = await resolve("include: 'nothing/*.yml'\njob: { script: x }\n", { local });
  assert.deepEqual(errors(none), []);
  assert.deepEqual(none.files, []);
});

test("a wildcard does not include the file that holds it", async () => {
  const r = await resolve("include: ci/entry.yml\n", {
    local: {
      "ci/entry.yml": "include: 'ci/*.yml'\nentry: { script: e }\n",
      "ci/x.yml": "x: { script: x }\n",
    },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(Object.keys(r.config), ["x", "entry"]);
});

// docs.gitlab.com/ci/yaml/includes/#use-nested-includes
test("nested includes are merged into their file first, recursively", async () => {
  const r = await resolve(lines("include: a.yml", "job: { stage: root }"), {
    local: {
      "a.yml": lines("include: b.yml", "job: { stage: a, script: a }"),
      "b.yml": lines("job: { stage: b, script: b, tags: [b] }"),
    },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, { job: { stage: "root", script: "a", tags: ["b"] } });
  assert.deepEqual(
    r.files.map((f) => [f.file, f.chain]),
    [
      ["a.yml", [".gitlab-ci.yml"]],
      ["b.yml", [".gitlab-ci.yml", "a.yml"]],
    ],
  );
});

// docs.gitlab.com/ci/yaml/#includelocal: "If a nested include is in a configuration file in a
// different project, include: local checks that other project for the file."
test("local includes of a project file are read from that project at that ref", async () => {
  const r = await resolve(lines("include: { project: g/tools, ref: v2, file: main.yml }"), {
    projects: {
      "g/tools@v2:main.yml": "include: helper.yml\n",
      "g/tools@v2:helper.yml": "h: { script: h }\n",
    },
    local: { "helper.yml": "wrong: { script: w }\n" },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, { h: { script: "h" } });
  assert.equal(r.files[1]?.file, "g/tools:helper.yml");
});

// docs.gitlab.com/ci/yaml/#includeremote: nested includes run "without context".
test("a local include inside a remote or template file has no project", async () => {
  const r = await resolve("include: https://example.com/r.yml\n", {
    remote: { "https://example.com/r.yml": "include: local.yml\nr: { script: r }\n" },
  });
  assert.deepEqual(errors(r), [
    "Local file `local.yml` does not have project! (included from .gitlab-ci.yml → https://example.com/r.yml)",
  ]);
});

// docs.gitlab.com/ci/yaml/includes/#use-rules-with-include
test("include:rules decide whether a file is read at all", async () => {
  const r = await resolve(
    lines(
      "include:",
      "  - local: yes.yml",
      "    rules: [{ if: 'true' }]",
      "  - local: no.yml",
      "    rules: [{ if: 'false' }]",
      "  - local: never.yml",
      "    rules: [{ if: 'true', when: never }]",
    ),
    {
      local: {
        "yes.yml": "y: { script: y }\n",
        "no.yml": "n: { script: n }\n",
        "never.yml": "v: { script: v }\n",
      },
    },
  );
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, { y: { script: "y" } });
  assert.deepEqual(r.reads, ["local:yes.yml"]);
  assert.deepEqual(r.calls[0]?.context, { kind: "pipeline" });
});

test("an invalid include rule is reported at the entry and the file is skipped", async () => {
  const r = await resolve(
    lines("job: { script: x }", "include:", "  - local: a.yml", "    rules: [{ if: broken }]"),
    {
      local: { "a.yml": "a: { script: a }\n" },
    },
  );
  const [d] = r.diagnostics;
  assert.equal(d?.message, "include:rules:rule if invalid expression syntax");
  assert.equal(d?.line, 3);
  assert.deepEqual(r.reads, []);
});

// docs.gitlab.com/ci/yaml/includes/#include-with-rulesexists: exists looks in the file's project.
test("rules in a project file are evaluated in that project's context", async () => {
  const r = await resolve("include: { project: g/p, file: a.yml }\n", {
    projects: {
      "g/p@HEAD:a.yml": "include: [{ local: b.yml, rules: [{ if: 'true' }] }]\na: { script: a }\n",
      "g/p@HEAD:b.yml": "b: { script: b }\n",
    },
  });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.calls[0]?.context, { kind: "project", project: "g/p", ref: undefined });
});

// docs.gitlab.com/ci/yaml/includes/#use-variables-with-include
test("variables in include locations are expanded, a string entry before it is classified", async () => {
  const r = await resolve(
    lines("include:", "  - $BASE/r.yml", "  - project: $CI_PROJECT_PATH", "    file: ci/$NAME.yml"),
    {
      remote: { "https://example.com/r.yml": "r: { script: r }\n" },
      projects: { "g/me@HEAD:ci/build.yml": "b: { script: b }\n" },
    },
    { variables: { BASE: "https://example.com", CI_PROJECT_PATH: "g/me", NAME: "build" } },
  );
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.reads, ["remote:https://example.com/r.yml", "project:g/me@HEAD:ci/build.yml"]);
});

// docs.gitlab.com/ci/components/ and docs.gitlab.com/ci/yaml/#speccomponent
test("a component gets its inputs and context, and its local includes come from its project", async () => {
  const component = lines(
    "spec:",
    "  component: [name, reference]",
    "  inputs:",
    "    stage: { default: test }",
    "    parallel: { type: number }",
    "---",
    "include: helper.yml",
    "$[[ component.name ]]-job:",
    "  stage: $[[ inputs.stage ]]",
    "  parallel: $[[ inputs.parallel ]]",
    "  image: 'img:$[[ component.reference ]]'",
  );
  const r = await resolve(
    lines(
      "include:",
      "  - component: example.com/g/sub/tools/lint@1.2.0",
      "    inputs: { parallel: 3 }",
    ),
    {
      components: { "example.com/g/sub/tools/lint@1.2.0": component },
      projects: { "g/sub/tools@1.2.0:helper.yml": "helper: { script: h }\n" },
    },
  );
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config, {
    helper: { script: "h" },
    "lint-job": { stage: "test", parallel: 3, image: "img:1.2.0" },
  });
});

test("a component's missing required input is reported at the include entry", async () => {
  const component = lines(
    "spec:",
    "  inputs:",
    "    stage:",
    "---",
    "job:",
    "  stage: $[[ inputs.stage ]]",
  );
  const r = await resolve(
    lines("job0: { script: x }", "include:", "  - component: example.com/g/t/c@1"),
    {
      components: { "example.com/g/t/c@1": component },
    },
  );
  assert.deepEqual(
    r.diagnostics.map((d) => [d.message, d.file, d.line]),
    [
      [
        "`example.com/g/t/c@1`: `stage` input: required value has not been provided",
        ".gitlab-ci.yml",
        3,
      ],
    ],
  );
});

test("inputs given to a file without a spec header are an error", async () => {
  const r = await resolve("include: [{ local: a.yml, inputs: { x: 1 } }]\n", {
    local: { "a.yml": "a: { script: a }\n" },
  });
  assert.deepEqual(errors(r), [
    "`a.yml`: Given inputs not defined in the `spec` section of the included configuration file",
  ]);
});

test("merged objects keep the positions of the file each key came from", async () => {
  const r = await resolve(lines("include: ci/a.yml", "job:", "  stage: build"), {
    local: { "ci/a.yml": lines("# comment", "job:", "  script: make") },
  });
  const job = r.config.job as Record<string, unknown>;
  assert.deepEqual(positionOf(job, "script"), { file: "ci/a.yml", line: 3, column: 3 });
  assert.deepEqual(positionOf(job, "stage"), { file: ".gitlab-ci.yml", line: 3, column: 3 });
  assert.equal(positionOf(r.config, "job")?.file, ".gitlab-ci.yml");
});
