import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDotenv, type DotenvResult } from "./dotenv.js";

const ok = (...pairs: [string, string][]): DotenvResult => ({
  variables: pairs.map(([key, value]) => ({ key, value })),
  errors: [],
});
const bad = (error: string): DotenvResult => ({ variables: [], errors: [error] });
const KEY_FORMAT = "Validation failed: Key can contain only letters, digits and '_'.";

describe("parseDotenv (GitLab's Ci::ParseDotenvArtifactService)", () => {
  const table: [label: string, text: string, expected: DotenvResult][] = [
    ["two variables", "KEY1=VAR1\nKEY2=VAR2\n", ok(["KEY1", "VAR1"], ["KEY2", "VAR2"])],
    ["no trailing newline", "KEY1=VAR1", ok(["KEY1", "VAR1"])],
    ["CRLF line ends", "A=1\r\nB=2\r\n", ok(["A", "1"], ["B", "2"])],
    ["spaces around key and value are stripped", " KEY1 =  VAR1 \t", ok(["KEY1", "VAR1"])],
    ["split at the first =", "KEY=VARCONTAINING=EQLS", ok(["KEY", "VARCONTAINING=EQLS"])],
    ["spaces inside the value", "KEY1=V A R 1", ok(["KEY1", "V A R 1"])],
    ["double quotes are kept", 'KEY1="VAR1"', ok(["KEY1", '"VAR1"'])],
    ["single quotes are kept", "KEY1='VAR1'", ok(["KEY1", "'VAR1'"])],
    ["spaces inside quotes are kept", 'KEY1="  VAR1  "', ok(["KEY1", '"  VAR1  "'])],
    ["empty value", "KEY1=", ok(["KEY1", ""])],
    ["unicode value", "skateboard=🛹", ok(["skateboard", "🛹"])],
    [
      "no expansion",
      "KEY1=VAR1\nKEY2=${KEY1}_Test\n",
      ok(["KEY1", "VAR1"], ["KEY2", "${KEY1}_Test"]),
    ],
    ["a trailing comment is part of the value", "KEY1=VAR1  # note", ok(["KEY1", "VAR1  # note"])],
    ["the last duplicate wins, first position kept", "A=1\nB=2\nA=3\n", ok(["A", "3"], ["B", "2"])],
    ["a byte order mark is dropped", "\uFEFFA=1", ok(["A", "1"])],
    ["an empty file has no variables", "", ok()],
    ["an empty line is invalid", "KEY1=VAR1\n\nKEY2=VAR2\n", bad("Invalid Format")],
    ["a comment line is invalid", "# comment\nA=1", bad("Invalid Format")],
    ["a line without = is invalid", "{ 'KEY1': 'VAR1' }", bad("Invalid Format")],
    ["an export prefix makes an invalid key", "export A=1", bad(KEY_FORMAT)],
    ["a key with spaces", "K E Y 1=VAR1", bad(KEY_FORMAT)],
    ["a unicode key", "🛹=skateboard", bad(KEY_FORMAT)],
    [
      "a missing key",
      "=VAR1",
      bad("Validation failed: Key can't be blank, Key can contain only letters, digits and '_'."),
    ],
    [
      "a key longer than 255 characters",
      `${"K".repeat(256)}=v`,
      bad("Validation failed: Key is too long (maximum is 255 characters)"),
    ],
    ["a 255-character key is fine", `${"K".repeat(255)}=v`, ok(["K".repeat(255), "v"])],
  ];
  for (const [label, text, expected] of table) {
    it(label, () => assert.deepEqual(parseDotenv(text), expected));
  }

  it("limits the number of distinct variables (20 by default)", () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `KEY${i}=VAR${i}\n`).join("");
    assert.equal(parseDotenv(lines(20)).variables.length, 20);
    assert.deepEqual(
      parseDotenv(lines(21)),
      bad("Dotenv files cannot have more than 20 variables"),
    );
    assert.equal(parseDotenv(lines(21), { maxVariables: 50 }).variables.length, 21);
    assert.equal(parseDotenv(`${lines(20)}KEY0=again\n`).variables.length, 20);
  });

  it("limits the size: the file must be smaller than 5 KB", () => {
    const big = `A=${"x".repeat(5120 - 3)}\n`;
    assert.equal(Buffer.byteLength(big), 5120);
    assert.deepEqual(
      parseDotenv(big),
      bad("Dotenv Artifact Too Big. Maximum Allowable Size: 5120"),
    );
    assert.equal(
      parseDotenv(big.slice(1 + 1)).errors.length,
      1,
      "still one line, now Invalid Format",
    );
    assert.deepEqual(
      parseDotenv(big, { size: 300 }).errors,
      [],
      "the stored (compressed) size counts",
    );
    assert.deepEqual(
      parseDotenv("A=1", { maxBytes: 3 }),
      bad("Dotenv Artifact Too Big. Maximum Allowable Size: 3"),
    );
  });

  it("reads bytes as UTF-8 and several blobs one after the other", () => {
    assert.deepEqual(parseDotenv(new TextEncoder().encode("A=é")), ok(["A", "é"]));
    assert.deepEqual(parseDotenv(["A=1", "B=2\n", "A=3"]), ok(["A", "3"], ["B", "2"]));
  });
});
