/**
 * Ruby's view of a String as GitLab's strings are: UTF-8 bytes. Lengths and cuts that GitLab
 * makes in bytes (`bytesize`, `byteslice`), ActiveSupport's `truncate`, and Ruby's ordering
 * (`String#<=>`), reproduced so that values match byte for byte.
 *
 * A JavaScript string may hold a lone surrogate, which no UTF-8 string can: like a UTF-8
 * encoder (`TextEncoder`), everything here treats it as U+FFFD, three bytes.
 */

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The UTF-8 bytes of `text` (Ruby's `String#bytes`). */
export function utf8Bytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    let cp = char.codePointAt(0) as number;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000)
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else
      out.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 0x3f),
        0x80 | ((cp >> 6) & 0x3f),
        0x80 | (cp & 0x3f),
      );
  }
  return Uint8Array.from(out);
}

/**
 * UTF-8 length of `text` in bytes (Ruby's `String#bytesize`): `utf8Bytes(text).length`,
 * counted without encoding, as the YAML size limits measure every string of a document.
 */
export function byteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2; // a surrogate pair: two code units, four bytes
      i++;
    } else {
      bytes += 2; // the rest of the BMP, and a lone surrogate (U+FFFD): three bytes
    }
  }
  return bytes;
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes` (Ruby's
 * `byteslice(0, max)`). Ruby may cut a multi-byte character in half and keep the broken
 * bytes; a JavaScript string cannot hold them, so the partial character is dropped instead.
 */
export function truncateBytes(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (used + size > maxBytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * ActiveSupport's `String#truncate(length)` with the default `...` omission: a text longer than
 * `length` characters becomes its first `length - 3` characters followed by `...`.
 */
export function truncateWithOmission(text: string, length: number): string {
  const chars = Array.from(text);
  if (chars.length <= length) return text;
  return `${chars.slice(0, Math.max(0, length - 3)).join("")}...`;
}

/** Compares by Unicode code point, which is Ruby's byte-wise order for UTF-8 strings. */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const diff = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}
