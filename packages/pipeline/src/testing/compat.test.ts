/**
 * Walks the GitLab compatibility corpus: for every case, Conveyor's lint result or plan must
 * equal, in full, what GitLab's documentation says GitLab does (see compat/README.md).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildEvent } from "../event-spec.js";
import { loadPipeline, planLoaded } from "../load-pipeline.js";
import { planToJson } from "../plan/plan-json.js";
import { readCorpus } from "./compat-corpus.js";
import { memorySource } from "./memory-source.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const corpusRoot = join(repoRoot, "compat");

test("the compatibility corpus exists", () => {
  assert.ok(existsSync(corpusRoot), `missing ${corpusRoot}`);
  assert.ok(readCorpus(corpusRoot).length > 0);
});

for (const compat of existsSync(corpusRoot) ? readCorpus(corpusRoot) : []) {
  test(`compat ${compat.name}`, async () => {
    const text = compat.files[".gitlab-ci.yml"];
    assert.ok(text !== undefined, `${compat.name}: no .gitlab-ci.yml`);
    const files = [...new Set([...Object.keys(compat.files), ...(compat.context.files ?? [])])];
    const { compareTo, ...spec } = compat.context;
    const event = buildEvent({ ...spec, files });
    const local = {
      ...Object.fromEntries((compat.context.files ?? []).map((f) => [f, ""])),
      ...compat.files,
    };
    const loaded = await loadPipeline(text, {
      file: ".gitlab-ci.yml",
      source: memorySource({ local }),
      event,
    });
    if (compat.expectedLint) {
      const errors = loaded.diagnostics.filter((d) => d.severity === "error");
      assert.deepEqual(
        {
          valid: errors.length === 0,
          errors: errors.map((d, i) => {
            const expectedLine = compat.expectedLint?.errors[i]?.line;
            return expectedLine === undefined
              ? { message: d.message }
              : { message: d.message, line: d.line };
          }),
        },
        compat.expectedLint,
      );
    }
    if (compat.expectedPlan !== undefined) {
      const plan = planLoaded(loaded, event, { compareTo: (ref) => compareTo?.[ref] });
      assert.deepEqual(planToJson(plan), compat.expectedPlan);
    }
    assert.ok(
      compat.expectedLint || compat.expectedPlan !== undefined,
      `${compat.name}: no plan.json or lint.json`,
    );
  });
}
