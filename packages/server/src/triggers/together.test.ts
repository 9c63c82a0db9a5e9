import assert from "node:assert/strict";
import { test } from "node:test";
import formbody from "@fastify/formbody";
import { SecretBox } from "../secrets/secret-box.js";
import { registerScheduleApi } from "../schedules/schedule-api.js";
import { registerInboundHooks } from "../webhooks/hook-api.js";
import { as, parsingLikeServer, RecordingStarter, SERVER_URL, world } from "./test-support.js";
import { registerTriggerApi } from "./trigger-api.js";

for (const rootFormbody of [false, true]) {
  test(`the three plugins share one app${rootFormbody ? " that parses forms itself" : ""}`, async () => {
    const w = await world();
    const app = await parsingLikeServer();
    if (rootFormbody) await app.register(formbody);
    const starter = new RecordingStarter(w.store);
    const deps = { store: w.store, starter, clock: () => Date.now(), serverUrl: SERVER_URL };
    registerTriggerApi(app, deps);
    registerScheduleApi(app, deps);
    registerInboundHooks(app, {
      ...deps,
      secrets: new SecretBox("together-test-secret-key-0123456789abcdef"),
      repositoryPath: () => "/nonexistent",
    });
    try {
      await app.ready();
      const form = {
        headers: { ...as(w.developer), "content-type": "application/x-www-form-urlencoded" },
      };
      const schedule = await app.inject({
        method: "POST",
        url: `/api/v4/projects/${w.project.id}/pipeline_schedules`,
        ...form,
        payload: "description=d&ref=main&cron=0+1+*+*+*",
      });
      assert.equal(schedule.statusCode, 201, schedule.body);
      const created = await app.inject({
        method: "POST",
        url: `/api/v4/projects/${w.project.id}/triggers`,
        headers: as(w.maintainer),
        payload: { description: "t" },
      });
      const run = await app.inject({
        method: "POST",
        url: `/api/v4/projects/${w.project.id}/trigger/pipeline`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: `token=${created.json().token}&ref=main&variables[K]=v`,
      });
      assert.equal(run.statusCode, 201, run.body);
      assert.deepEqual(starter.calls[0]?.request.variables, { K: "v" });
    } finally {
      await app.close();
      await w.dispose();
    }
  });
}
