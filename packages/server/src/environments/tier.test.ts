/**
 * The tier GitLab assumes from an environment's name (docs: ci/environments, "Deployment tier
 * of environments"), and how a stop job is set going by its status.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { stopStepOf } from "./stop-actions.js";
import { tierOfName } from "./tier.js";

test("the tier follows the documented names", () => {
  const cases: [string, string][] = [
    ["production", "production"],
    ["Live", "production"],
    ["staging", "staging"],
    ["Model", "staging"],
    ["demo-eu", "staging"],
    ["test", "testing"],
    ["QC", "testing"],
    ["dev", "development"],
    ["review/feature-x", "development"],
    ["review/production-fix", "development"],
    ["trunk", "development"],
    ["customer-portal", "other"],
  ];
  for (const [name, tier] of cases) assert.equal(tierOfName(name), tier, name);
});

test("a stop job is played when manual, retried when finished, waited for when on its way", () => {
  assert.equal(stopStepOf("manual"), "play");
  assert.equal(stopStepOf("scheduled"), "play");
  for (const status of ["success", "failed", "canceled"] as const)
    assert.equal(stopStepOf(status), "retry");
  for (const status of ["created", "waiting_for_resource", "pending", "running"] as const)
    assert.equal(stopStepOf(status), "wait");
  assert.equal(stopStepOf("skipped"), undefined);
  assert.equal(stopStepOf("canceling"), undefined);
});
