import assert from "node:assert/strict";
import { test } from "node:test";
import { splitDocuments } from "./split-documents.js";

const texts = (text: string) => splitDocuments(text).map((piece) => piece.text);

test("splits at --- lines followed by white space, swallowing it", () => {
  assert.deepEqual(texts("spec:\n---\n  job: 1\n"), ["spec:\n", "job: 1\n"]);
  assert.deepEqual(texts("--- a: 1\n--- b: 2\n"), ["", "a: 1\n", "b: 2\n"]);
});

test("keeps at most three pieces, the last holding the rest", () => {
  assert.deepEqual(texts("a\n---\nb\n---\nc\n---\nd\n"), ["a\n", "b\n", "c\n---\nd\n"]);
});

test("ignores dividers not at a line start or without trailing white space", () => {
  assert.deepEqual(texts("a: x---\n---b: 2\nc: 1\n---"), ["a: x---\n---b: 2\nc: 1\n---"]);
  assert.deepEqual(texts("----\na: 1\n"), ["----\na: 1\n"]);
});

test("records each piece's offset", () => {
  const pieces = splitDocuments("a: 1\n---\nb: 2\n");
  assert.deepEqual(
    pieces.map((piece) => piece.offset),
    [0, 9],
  );
});
