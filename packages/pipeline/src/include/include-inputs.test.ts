import assert from "node:assert/strict";
import { test } from "node:test";
import { recordingSource, testDeps } from "../testing/include-harness.js";
import { resolveIncludes } from "./index.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;
const messages = (r: { diagnostics: Array<{ message: string }> }) =>
  r.diagnostics.map((d) => d.message);

// docs.gitlab.com/ci/yaml/#specinclude
test("spec:include reads input definitions from other files, and duplicates are an error", async () => {
  const root = lines(
    "spec:",
    "  include:",
    "    - local: /shared-inputs.yml",
    "  inputs:",
    "    region: { default: eu }",
    "---",
    "deploy: { script: 'echo $[[ inputs.environment ]] $[[ inputs.region ]]' }",
  );
  const source = recordingSource({
    local: { "shared-inputs.yml": "inputs:\n  environment: { default: staging }\n" },
  });
  const { deps } = testDeps(source);
  const ok = await resolveIncludes(".gitlab-ci.yml", root, deps, { environment: "production" });
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(ok.config, { deploy: { script: "echo production eu" } });

  const dup = recordingSource({ local: { "shared-inputs.yml": "inputs:\n  region: {}\n" } });
  const result = await resolveIncludes(".gitlab-ci.yml", root, testDeps(dup).deps);
  assert.deepEqual(messages(result), [
    "Duplicate input keys found: region. Input keys must be unique across all included files and inline specifications.",
  ]);
  const extra = recordingSource({ local: { "shared-inputs.yml": "inputs: {}\njobs: 1\n" } });
  const bad = await resolveIncludes(".gitlab-ci.yml", root, testDeps(extra).deps);
  assert.deepEqual(messages(bad), [
    "Header include file `shared-inputs.yml` contains unknown keys: [:jobs]",
  ]);
});

test("included-file inputs: errors carry the file name and chain, typed values survive the merge", async () => {
  const source = recordingSource({
    local: {
      "ci/deploy.yml": lines(
        "spec:",
        "  inputs:",
        "    replicas: { type: number }",
        "    env: { options: [staging, production] }",
        "---",
        "deploy-$[[ inputs.env ]]:",
        "  parallel: $[[ inputs.replicas ]]",
      ),
    },
  });
  const { deps } = testDeps(source);
  const good = await resolveIncludes(
    ".gitlab-ci.yml",
    "include:\n  - local: ci/deploy.yml\n    inputs: { replicas: 2, env: staging }\n",
    deps,
  );
  assert.deepEqual(good.diagnostics, []);
  assert.deepEqual(good.config, { "deploy-staging": { parallel: 2 } });
  const bad = await resolveIncludes(
    ".gitlab-ci.yml",
    "include:\n  - local: ci/deploy.yml\n    inputs: { replicas: two, env: qa, extra: 1 }\n",
    deps,
  );
  assert.deepEqual(messages(bad), [
    "`ci/deploy.yml`: unknown input arguments: extra",
    "`ci/deploy.yml`: `replicas` input: provided value is not a number",
    "`ci/deploy.yml`: `env` input: `qa` cannot be used because it is not in the list of allowed options",
  ]);
  assert.deepEqual(
    bad.diagnostics.map((d) => [d.file, d.line]),
    [
      [".gitlab-ci.yml", 2],
      [".gitlab-ci.yml", 2],
      [".gitlab-ci.yml", 2],
    ],
  );
});
