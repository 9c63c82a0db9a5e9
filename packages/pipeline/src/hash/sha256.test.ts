import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { sha256, sha256Base64, sha256Hex } from "./sha256.js";

const SAMPLES = ["", "abc", "a".repeat(55), "a".repeat(56), "a".repeat(64), "a".repeat(1000)];
const TEXTS = [...SAMPLES, "Ünïcode/env", "😀 include:\n  - local: x.yml\n", "\ud800 lone"];

test("matches the FIPS 180-4 test vectors", () => {
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    sha256Base64("abc"),
    Buffer.from("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "hex").toString(
      "base64",
    ),
  );
});

test("agrees with Node's crypto on UTF-8 text, as hex and as base64", () => {
  for (const text of TEXTS) {
    assert.equal(sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), text);
    assert.equal(
      sha256Base64(text),
      createHash("sha256").update(text, "utf8").digest("base64"),
      text,
    );
  }
});

test("hashes raw bytes", () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  assert.deepEqual(
    Buffer.from(sha256(bytes)).toString("hex"),
    createHash("sha256").update(bytes).digest("hex"),
  );
});
