import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseShell, stepEnvironment, stepInvocation } from "./shell-command.js";

describe("chooseShell", () => {
  it("takes the first bash on PATH", () => {
    const found = chooseShell("/nope:/usr/local/bin:/usr/bin", (p) => p.startsWith("/usr/"));
    assert.deepEqual(found, { shell: "bash", command: "/usr/local/bin/bash", args: [] });
  });

  it("falls back to sh without bash", () => {
    assert.deepEqual(
      chooseShell("/bin:/usr/bin", () => false),
      {
        shell: "sh",
        command: "sh",
        args: [],
      },
    );
    assert.equal(chooseShell(undefined, () => true).shell, "sh");
  });
});

describe("stepInvocation", () => {
  it("reads the script from stdin after joining stderr to stdout", () => {
    const shell = { shell: "sh" as const, command: "busybox", args: ["sh"] };
    assert.deepEqual(stepInvocation(shell, "echo hi\n"), {
      command: "busybox",
      args: ["sh", "-s"],
      stdin: "exec 2>&1\necho hi\n",
    });
    assert.deepEqual(stepInvocation(shell, "x", true).args, ["sh", "-l", "-s"]);
  });
});

describe("stepEnvironment", () => {
  it("inherits the environment without the caller's repository variables", () => {
    const env = stepEnvironment(
      { PATH: "/bin", GIT_DIR: "/repo/.git", GIT_WORK_TREE: "/repo", HOME: "/home/u" },
      { EXTRA: "1" },
    );
    assert.deepEqual(env, { PATH: "/bin", HOME: "/home/u", EXTRA: "1" });
  });
});
