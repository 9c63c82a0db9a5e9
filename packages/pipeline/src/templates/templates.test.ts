/**
 * The built-in templates load like any include: `Conveyor-Deploy` turns a
 * deploy stage into `extends: .conveyor-deploy` plus an environment.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinTemplate, builtinTemplateNames } from "./index.js";
import { buildEvent } from "../event-spec.js";
import { hasErrors, loadPipeline, planLoaded } from "../load-pipeline.js";
import { memorySource } from "../testing/memory-source.js";

describe("built-in templates", () => {
  it("answers a template by its file name, and nothing for other names", () => {
    assert.deepEqual(builtinTemplateNames(), ["Conveyor-Deploy.gitlab-ci.yml"]);
    assert.match(builtinTemplate("Conveyor-Deploy.gitlab-ci.yml") ?? "", /^\.conveyor-deploy:$/m);
    assert.equal(builtinTemplate("Missing.gitlab-ci.yml"), undefined);
    assert.equal(builtinTemplate("toString"), undefined);
  });

  it("Conveyor-Deploy makes a deploy job of three lines", async () => {
    const root = [
      "include:",
      "  - template: Conveyor-Deploy.gitlab-ci.yml",
      "deploy:",
      "  extends: .conveyor-deploy",
      "  environment: production",
      "  variables:",
      "    CONVEYOR_DEPLOY_VARS: image_id=app:1",
      "",
    ].join("\n");
    const event = buildEvent({ branch: "main", project: "shop/web" });
    const loaded = await loadPipeline(root, {
      file: ".gitlab-ci.yml",
      event,
      source: {
        ...memorySource({}),
        readTemplate: async (name) => builtinTemplate(name),
      },
    });
    assert.equal(hasErrors(loaded.diagnostics), false, JSON.stringify(loaded.diagnostics));
    const plan = planLoaded(loaded, event, { compareTo: () => undefined });
    const job = plan.jobs.find((j) => j.name === "deploy");
    assert.ok(job, "the deploy job is planned");
    assert.equal(job.stage, "deploy");
    assert.match(
      JSON.stringify(job.definition.script),
      /conveyor deploy apply --set \\"\$CONVEYOR_DEPLOY_SET\\"/,
    );
  });
});
