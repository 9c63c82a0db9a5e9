import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JobConsole } from "./job-console.js";

function capture(isTTY = false) {
  let text = "";
  return {
    stream: { write: (chunk: string) => (text += chunk), isTTY },
    text: () => text,
  };
}

describe("job console", () => {
  it("prefixes each complete line with the job's name, holding back partial lines per job", () => {
    const out = capture();
    const console = new JobConsole(out.stream);
    console.setJobNames(["build", "test 1/2"]);
    console.output("build", "one\ntw");
    console.output("test 1/2", "other\n");
    console.output("build", "o\n");
    assert.equal(out.text(), "build    | one\ntest 1/2 | other\nbuild    | two\n");
  });

  it("drops GitLab's section markers and colours when not on a terminal", () => {
    const out = capture();
    const console = new JobConsole(out.stream);
    console.setJobNames(["build"]);
    console.output(
      "build",
      "section_start:1700000000:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting step\x1b[0;m\n\x1b[32;1m$ echo hi\x1b[0;m\nhi\nsection_end:1700000001:step_script\r\x1b[0K\n",
    );
    assert.equal(out.text(), "build | Executing step\nbuild | $ echo hi\nbuild | hi\nbuild | \n");
  });

  it("keeps what a terminal would show of a line rewritten with carriage returns", () => {
    const out = capture();
    const console = new JobConsole(out.stream);
    console.setJobNames(["dl"]);
    console.output("dl", "get 10%\rget 55%\rget 100%\r\nwindows line\r\nplain\n");
    assert.equal(out.text(), "dl | get 100%\ndl | windows line\ndl | plain\n");
  });

  it("prints what is left of a job's last line when it ends", () => {
    const out = capture();
    const console = new JobConsole(out.stream);
    console.setJobNames(["a"]);
    console.output("a", "no newline");
    assert.equal(out.text(), "");
    console.flush("a");
    assert.equal(out.text(), "a | no newline\n");
  });

  it("keeps the progress line below the output on a terminal", () => {
    const out = capture(true);
    const console = new JobConsole(out.stream, { colour: false });
    console.setJobNames(["a"]);
    console.progress("running: a");
    console.output("a", "x\n");
    assert.equal(out.text(), "\r\x1b[2Krunning: a\r\x1b[2Ka | x\nrunning: a");
  });
});
