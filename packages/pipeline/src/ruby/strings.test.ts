import assert from "node:assert/strict";
import { test } from "node:test";
import {
  byteLength,
  compareCodePoints,
  truncateBytes,
  truncateWithOmission,
  utf8Bytes,
} from "./strings.js";

const SAMPLES = ["", "abc", "é", "€", "😀", "a😀b", "\ud800", "\udc00x", "\ud800\u4e00", "x\ud83d"];

test("byteLength counts what utf8Bytes encodes; a lone surrogate is U+FFFD", () => {
  for (const text of SAMPLES) assert.equal(byteLength(text), utf8Bytes(text).length, text);
  assert.deepEqual([...utf8Bytes("é😀")], [0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]);
  assert.deepEqual([...utf8Bytes("\ud800")], [0xef, 0xbf, 0xbd]);
});

test("byteslice drops a character it would cut", () => {
  assert.equal(truncateBytes("aé€", 3), "aé");
  assert.equal(truncateBytes("aé€", 5), "aé");
  assert.equal(truncateBytes("aé€", 6), "aé€");
});

test("truncate keeps length - 3 characters and adds ...", () => {
  assert.equal(truncateWithOmission("abcdef", 6), "abcdef");
  assert.equal(truncateWithOmission("abcdefg", 6), "abc...");
});

test("strings order by code point, as Ruby orders UTF-8 bytes", () => {
  assert.deepEqual(["\uff01", "😀", "b", "a"].sort(compareCodePoints), ["a", "b", "\uff01", "😀"]);
});
