/**
 * CRC-32 (IEEE 802.3), the checksum zip entries and gzip members carry. Uses node:zlib's
 * native crc32 where the running Node has it (20.15+, 22.2+), else a table.
 */
import * as zlib from "node:zlib";

type Crc32 = (data: Uint8Array, value?: number) => number;

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Continues `value` (the CRC of the bytes before `data`; 0 to start) over `data`. */
export const crc32: Crc32 = native ? (data, value = 0) => native(data, value) : tableCrc32;

/** The pure-JS implementation, exported so tests can compare it with the native one. */
export const crc32Table: Crc32 = tableCrc32;
