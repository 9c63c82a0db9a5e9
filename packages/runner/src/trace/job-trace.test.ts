import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JobTrace } from "./job-trace.js";
import { runningWithLine, stageDescription, stageTimeoutWarning } from "./log-format.js";

function collect(sections: boolean) {
  const chunks: Buffer[] = [];
  let now = 1_700_000_000_123;
  const trace = new JobTrace({
    sink: { write: (chunk) => chunks.push(Buffer.from(chunk)) },
    phrases: ["hidden-value"],
    clock: () => now,
    sections,
  });
  return {
    trace,
    advance: (ms: number) => (now += ms),
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

describe("JobTrace", () => {
  it("writes sections with the clock's unix seconds and a bold cyan header", async () => {
    const { trace, advance, text } = collect(true);
    await trace.section("get_sources", stageDescription("get_sources"), async () => {
      trace.write("output\n");
      advance(2000);
    });
    trace.end();
    assert.equal(
      text(),
      "section_start:1700000000:get_sources\r\x1b[0K" +
        "\x1b[0K\x1b[36;1mGetting source from Git repository\x1b[0;m\x1b[0;m\n" +
        "output\n" +
        "section_end:1700000002:get_sources\r\x1b[0K",
    );
  });

  it("keeps the header but drops markers without trace_sections", async () => {
    const { trace, text } = collect(false);
    await trace.section("step_script", stageDescription("step_script"), async () => undefined);
    trace.end();
    assert.equal(
      text(),
      '\x1b[0K\x1b[36;1mExecuting "step_script" stage of the job script\x1b[0;m\x1b[0;m\n',
    );
  });

  it("ends the section when the body throws", async () => {
    const { trace, text } = collect(true);
    await assert.rejects(
      trace.section("x", "X", async () => {
        throw new Error("boom");
      }),
    );
    assert.match(text(), /section_end:\d+:x\r/);
  });

  it("writes the runner's line styles and masks them too", () => {
    const { trace, text } = collect(false);
    trace.write(runningWithLine("1.0.0", "abc123"));
    trace.info("Job succeeded");
    trace.warning(stageTimeoutWarning("step_script"));
    trace.error("Job failed: exit status 1 hidden-value");
    trace.end();
    trace.write("after the end\n");
    assert.equal(
      text(),
      "\x1b[0KRunning with conveyor 1.0.0 (abc123)\x1b[0;m\n" +
        "\x1b[32;1mJob succeeded\x1b[0;m\n" +
        "\x1b[0;33mWARNING: step_script could not run to completion because the timeout was exceeded. " +
        "For more control over job and script timeouts see: " +
        "https://docs.gitlab.com/ci/runners/configure_runners/#set-script-and-after_script-timeouts\x1b[0;m\n" +
        "\x1b[31;1mERROR: Job failed: exit status 1 [MASKED]\x1b[0;m\n",
    );
  });

  it("flushes a held-back partial match at the end", () => {
    const { trace, text } = collect(false);
    trace.write("ends with hidden-va");
    assert.equal(text(), "ends with ");
    trace.end();
    assert.equal(text(), "ends with hidden-va");
  });
});
