import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_TOKEN_PREFIXES, StreamMasker } from "./masker.js";

/** Feeds `text` cut at the given offsets; returns what the masker emitted. */
function maskInChunks(masker: StreamMasker, text: string, cuts: number[]): string {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(masker.write(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(masker.end());
  return Buffer.concat(out).toString("utf8");
}

/** The masked text for every way of cutting it in two and in three. */
function allSplits(make: () => StreamMasker, text: string): Set<string> {
  const results = new Set<string>();
  const n = Buffer.byteLength(text);
  for (let a = 0; a <= n; a++) {
    results.add(maskInChunks(make(), text, [a]));
    for (let b = a; b <= n; b += 3) results.add(maskInChunks(make(), text, [a, b]));
  }
  return results;
}

describe("StreamMasker", () => {
  it("masks a phrase wherever the chunks are cut", () => {
    const text = "before supersecret-42 middle supersecret-42 after";
    const results = allSplits(() => new StreamMasker(["supersecret-42"]), text);
    assert.deepEqual([...results], ["before [MASKED] middle [MASKED] after"]);
  });

  it("prefers the longest phrase and falls back to a shorter one", () => {
    const make = () => new StreamMasker(["abcdef-secret", "abc"]);
    assert.deepEqual([...allSplits(make, "x abcdef-secret y")], ["x [MASKED] y"]);
    assert.deepEqual([...allSplits(make, "x abcdef-secre y")], ["x [MASKED]def-secre y"]);
  });

  it("masks a short phrase hidden inside an unfinished longer one at the end", () => {
    const masker = new StreamMasker(["secret-long-value", "long"]);
    const out = Buffer.concat([masker.write(Buffer.from("a secret-long-v")), masker.end()]);
    assert.equal(out.toString(), "a secret-[MASKED]-v");
  });

  it("holds back only what could still become a secret", () => {
    const masker = new StreamMasker(["password123"]);
    assert.equal(masker.write(Buffer.from("log line pass")).toString(), "log line ");
    assert.equal(masker.write(Buffer.from("ing on")).toString(), "passing on");
    assert.equal(masker.end().length, 0);
  });

  it("keeps token prefixes and masks what follows them", () => {
    const make = () => new StreamMasker([]);
    const text = "token=glpat-AbC_123.x-y=z done; glrt-t1_zz\nglpat- alone";
    assert.deepEqual(
      [...allSplits(make, text)],
      ["token=glpat-[MASKED] done; glrt-[MASKED]\nglpat- alone"],
    );
    assert.ok(DEFAULT_TOKEN_PREFIXES.includes("glcbt-"));
  });

  it("masks extra token prefixes it is given", () => {
    const masker = new StreamMasker([], [...DEFAULT_TOKEN_PREFIXES, "mytok_"]);
    const out = Buffer.concat([masker.write(Buffer.from("a mytok_abc b")), masker.end()]);
    assert.equal(out.toString(), "a mytok_[MASKED] b");
  });

  it("masks sensitive URL parameters", () => {
    const make = () => new StreamMasker([]);
    const text = "GET /x?private_token=abc123&page=2 and ?X-Amz-Signature=ffee00 end";
    assert.deepEqual(
      [...allSplits(make, text)],
      ["GET /x?private_token=[MASKED]&page=2 and ?X-Amz-Signature=[MASKED] end"],
    );
    const other = maskInChunks(make(), "?page=private_token&q=1", []);
    assert.equal(other, "?page=private_token&q=1");
  });

  it("masks multi-byte secrets split inside a character", () => {
    const text = "x pässwörd-ü y";
    assert.deepEqual(
      [...allSplits(() => new StreamMasker(["pässwörd-ü"]), text)],
      ["x [MASKED] y"],
    );
  });

  it("ignores empty phrases and trims the others", () => {
    const masker = new StreamMasker(["", "  ", " secret-1 "]);
    const out = Buffer.concat([masker.write(Buffer.from("a secret-1 b")), masker.end()]);
    assert.equal(out.toString(), "a [MASKED] b");
  });

  it("masks phrases added later", () => {
    const masker = new StreamMasker(["first-secret"]);
    masker.addPhrases(["second-secret"]);
    const out = masker.write(Buffer.from("first-secret second-secret\n"));
    assert.equal(out.toString(), "[MASKED] [MASKED]\n");
  });
});
