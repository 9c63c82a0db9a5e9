import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
  parseShellProbe,
  SHELL_PROBE_SCRIPT,
  shellDetectionCommand,
  stdinForScript,
} from "./shell.js";

/** Feeds `input` to a real shell's stdin, as the container's shell gets it. */
function runShell(shell: string[], input: string) {
  const result = spawnSync(shell[0]!, shell.slice(1), { input, encoding: "utf8", timeout: 10_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const shells = [["/bin/sh"], ["/bin/bash"], ["/bin/busybox", "sh"]].filter(([path]) =>
  existsSync(path!),
);

test("the host has at least two shells to check the stdin protocol with", () => {
  assert.ok(shells.length >= 2, `found ${shells.map((s) => s.join(" ")).join(", ")}`);
});

for (const shell of shells) {
  test(`${shell.join(" ")}: the script runs whole, its exit code is the shell's, stdin is empty`, () => {
    const script = [
      'echo "it\'s quoted: $((1 + 2))"',
      "cat", // would swallow the rest of the script if stdin were the script
      "echo after-cat",
      "exit 7",
      "echo never",
    ].join("\n");
    const result = runShell(shell, stdinForScript(script));
    assert.equal(result.stdout, "it's quoted: 3\nafter-cat\n");
    assert.equal(result.status, 7);
  });

  test(`${shell.join(" ")}: the probe names the shell`, () => {
    const result = runShell(shell, stdinForScript(SHELL_PROBE_SCRIPT));
    const expected = shell[0] === "/bin/bash" ? "bash" : "sh";
    // /bin/sh may be bash on some hosts; it reports bash then, which is what runs.
    const found = parseShellProbe(result.stdout);
    if (shell[0] === "/bin/sh") assert.ok(found === "sh" || found === "bash");
    else assert.equal(found, expected);
  });
}

test("the detection command runs the first shell found and passes stdin to it", () => {
  const [sh, flag, detect] = shellDetectionCommand();
  assert.equal(sh, "sh");
  assert.equal(flag, "-c");
  const result = runShell(["/bin/sh", "-c", detect!], stdinForScript(SHELL_PROBE_SCRIPT));
  const expected =
    existsSync("/usr/local/bin/bash") || existsSync("/usr/bin/bash") || existsSync("/bin/bash");
  assert.equal(parseShellProbe(result.stdout), expected ? "bash" : "sh");
});

test("probe output is found among other lines; none means no answer", () => {
  assert.equal(parseShellProbe("entrypoint says hi\nconveyor-detected-shell=bash\n"), "bash");
  assert.equal(parseShellProbe("conveyor-detected-shell=sh"), "sh");
  assert.equal(parseShellProbe("nothing here"), null);
});
