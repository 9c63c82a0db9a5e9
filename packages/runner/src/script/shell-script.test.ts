import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { testPayload } from "../testing/fixtures.js";
import { afterScript, stepScript } from "./job-scripts.js";
import { buildShellScript, commandLines, prepareScript } from "./shell-script.js";
import { shellQuote } from "./shell-quote.js";
import { resolveJobVariables } from "./variables.js";

const CANDIDATES: [string, string[]][] = [
  ["bash", ["bash", "-s"]],
  ["sh", ["sh", "-s"]],
  ["busybox sh", ["busybox", "sh", "-s"]],
];
/** The shells this machine has (busybox may be missing). */
const SHELLS = CANDIDATES.filter(
  ([, argv]) => spawnSync(argv[0]!, [...argv.slice(1, -1), "-c", "true"]).status === 0,
);

function run(argv: string[], script: string): { status: number | null; out: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), {
    input: `exec 2>&1\n${script}`,
    encoding: "utf8",
    cwd: "/",
  });
  return { status: result.status, out: result.stdout };
}

const variables = resolveJobVariables({
  payload: testPayload({
    variables: [
      { key: "QUOTES", value: `a'b"c$d\`e\\f\ng`, public: true, raw: true },
      { key: "not-a-name", value: "skipped", public: true },
    ],
  }),
  executorName: "shell",
  buildsDir: "/",
  projectDir: "/tmp",
  concurrentId: 0,
  timeoutSeconds: 60,
  runner: { version: "t", arch: "linux/amd64" },
});

describe("shellQuote", () => {
  it("leaves plain words alone and single-quotes the rest", () => {
    assert.equal(shellQuote("abc/def-1.2"), "abc/def-1.2");
    assert.equal(shellQuote(""), "''");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe("commandLines", () => {
  it("echoes a command, collapses multi-line ones and keeps empty ones as blank lines", () => {
    assert.deepEqual(commandLines("  echo hi  "), [
      String.raw`printf '\033[32;1m%s\033[0;m\n' '$ echo hi'`,
      "echo hi",
    ]);
    assert.match(
      commandLines("if true; then\n  echo x\nfi")[0]!,
      /\$ if true; then # collapsed multi-line command/,
    );
    assert.deepEqual(commandLines("   "), ["echo", ""]);
  });
});

for (const [name, argv] of SHELLS) {
  describe(`generated scripts in ${name}`, () => {
    const script = (commands: string[], debugTrace = false) =>
      buildShellScript({ variables, workingDir: "/tmp", commands, debugTrace });

    it("prints each command in green, then its output", () => {
      const { status, out } = run(argv, script(["echo hi", "", "echo there"]));
      assert.equal(status, 0);
      assert.equal(
        out,
        "\x1b[32;1m$ echo hi\x1b[0;m\nhi\n\n\x1b[32;1m$ echo there\x1b[0;m\nthere\n",
      );
    });

    it("stops at the first failing command with its exit code", () => {
      const { status, out } = run(argv, script(["echo one", "(exit 7)", "echo two"]));
      assert.equal(status, 7);
      assert.doesNotMatch(out, /two/);
    });

    it("exports values exactly, and skips names the shell cannot export", () => {
      const { status, out } = run(argv, script(['printf "%s|" "$QUOTES"', "pwd"]));
      assert.equal(status, 0, out);
      assert.ok(out.includes(`a'b"c$d\`e\\f\ng|`), out);
      assert.match(out, /^\/tmp$/m);
    });

    it("gives commands an empty stdin, not the rest of the script", () => {
      const { status, out } = run(argv, script(['echo "stdin=[$(cat)]"', "echo after"]));
      assert.equal(status, 0);
      assert.match(out, /^stdin=\[\]$/m);
      assert.match(out, /^after$/m);
    });

    it("runs a multi-line command as one", () => {
      const { status, out } = run(argv, script(["for i in 1 2; do\n  echo n$i\ndone"]));
      assert.equal(status, 0);
      assert.match(out, /^n1\nn2$/m);
    });

    it("traces commands with CI_DEBUG_TRACE", () => {
      const { out } = run(argv, script(["echo traced"], true));
      assert.match(out, /\+.*echo traced/);
    });

    it("prints where the job runs in prepare_script", () => {
      const { status, out } = run(argv, prepareScript());
      assert.equal(status, 0);
      assert.match(out, /^Running on .+\.\.\.$/m);
    });
  });
}

describe("pipefail", () => {
  it("fails a pipeline whose first command fails in bash", () => {
    const { status } = run(
      ["bash", "-s"],
      buildShellScript({ variables, commands: ["false | cat", "echo not-reached"] }),
    );
    assert.equal(status, 1);
  });
});

describe("job scripts", () => {
  const payload = testPayload({ script: ["echo $CI_JOB_ID"], afterScript: ["echo done"] });
  it("expands the commands of a release step only", () => {
    const release = {
      name: "release",
      script: ["release-cli --tag $CI_JOB_ID"],
      timeout: 1,
      when: "on_success" as const,
      allow_failure: false,
    };
    assert.match(stepScript(release, variables, "/tmp"), /release-cli --tag 1/);
    assert.match(stepScript(payload.steps[0]!, variables, "/tmp"), /echo \$CI_JOB_ID/);
  });

  it("announces after_script and sets its CI_JOB_STATUS", () => {
    const text = afterScript(payload.steps[1]!, variables, "/tmp", "timedout");
    const { status, out } = run(["sh", "-s"], text);
    assert.equal(status, 0);
    assert.match(out, /Running after script\.\.\./);
    assert.match(text, /export CI_JOB_STATUS=timedout/);
  });
});
