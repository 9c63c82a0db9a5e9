import { test } from "node:test";
import assert from "node:assert/strict";
import { demuxToString, StreamDemuxer, type StreamKind } from "./demux.js";

function frame(kind: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test("frames split anywhere are reassembled in order", () => {
  const data = Buffer.concat([
    frame(1, "out one\n"),
    frame(2, "err\n"),
    frame(1, ""),
    frame(1, "out two\n"),
  ]);
  for (let cut = 0; cut <= data.length; cut++) {
    const seen: [StreamKind, string][] = [];
    const demuxer = new StreamDemuxer((kind, payload) =>
      seen.push([kind, Buffer.from(payload).toString()]),
    );
    demuxer.push(data.subarray(0, cut));
    demuxer.push(data.subarray(cut));
    assert.deepEqual(seen, [
      ["stdout", "out one\n"],
      ["stderr", "err\n"],
      ["stdout", "out two\n"],
    ]);
    assert.equal(demuxer.pendingBytes, 0);
  }
});

test("an incomplete frame waits for the rest", () => {
  const seen: string[] = [];
  const demuxer = new StreamDemuxer((_k, p) => seen.push(Buffer.from(p).toString()));
  const data = frame(1, "hello");
  demuxer.push(data.subarray(0, 10));
  assert.deepEqual(seen, []);
  assert.equal(demuxer.pendingBytes, 10);
  demuxer.push(data.subarray(10));
  assert.deepEqual(seen, ["hello"]);
});

test("demuxToString joins stdout and stderr", () => {
  assert.equal(demuxToString(Buffer.concat([frame(1, "a"), frame(2, "b"), frame(1, "c")])), "abc");
});
