/**
 * Hides secrets in a byte stream written in arbitrary chunks, as gitlab-runner's build logger
 * does (`common/buildlogger/build_logger.go` `wrap`: phrases, then URL parameters, then token
 * prefixes):
 * - every masked phrase (masked variable values, the job token) becomes `[MASKED]`, longest
 *   first (`internal/masker/masker.go`);
 * - the value of `private_token`, `authenticity_token`, `rss_token`, `X-Amz-Signature`,
 *   `X-Amz-Credential`, `X-Amz-Security-Token` URL parameters becomes `[MASKED]`
 *   (`internal/urlsanitizer/urlsanitizer.go`);
 * - after a token prefix (`glpat-`, …) the following run of `[A-Za-z0-9._=-]` becomes `[MASKED]`,
 *   the prefix itself stays (`internal/tokensanitizer/token_masker.go`).
 * Only a possible partial match at the end of a chunk is held back until the next chunk (or
 * `end()`), so a secret split across chunks is still hidden. Pure.
 */

const MASK = Buffer.from("[MASKED]");

/** GitLab's token prefixes the runner masks by default (tokensanitizer `DefaultTokenPrefixes`). */
export const DEFAULT_TOKEN_PREFIXES: readonly string[] = [
  "glpat-",
  "gloas-",
  "gldt-",
  "glrt-",
  "glcbt-",
  "glptt-",
  "glft-",
  "glimt-",
  "glagent-",
  "glsoat-",
  "glffct-",
  "_gitlab_session=",
  "gltok-",
];

/** URL parameters whose values the runner masks (urlsanitizer `tokenParamKeys`). */
const URL_PARAM_KEYS = new Set([
  "private_token",
  "authenticity_token",
  "rss_token",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
]);
const URL_KEY_MAX = Math.max(...[...URL_PARAM_KEYS].map((k) => k.length));

function isTokenChar(byte: number): boolean {
  return (
    byte === 45 || // -
    byte === 46 || // .
    byte === 95 || // _
    byte === 61 || // =
    (byte >= 48 && byte <= 57) ||
    (byte >= 65 && byte <= 90) ||
    (byte >= 97 && byte <= 122)
  );
}

/** Where a URL parameter value ends (urlsanitizer `isParamEnd`). */
function isParamEnd(byte: number): boolean {
  return byte === 63 || byte === 38 || byte <= 32 || byte === 127;
}

type Carry = "none" | "afterPrefix" | "inToken" | "inParam";

/** Byte patterns grouped by their first byte, longest first. */
function index(patterns: Iterable<string>): Map<number, Buffer[]> {
  const byFirst = new Map<number, Buffer[]>();
  for (const text of new Set([...patterns].map((p) => p.trim()).filter((p) => p !== ""))) {
    const bytes = Buffer.from(text);
    const list = byFirst.get(bytes[0]!) ?? [];
    list.push(bytes);
    byFirst.set(bytes[0]!, list);
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.length - a.length);
  return byFirst;
}

/** How `pattern` relates to `buf` at `at`: a full match, a prefix cut by the buffer's end, or no. */
function compare(buf: Buffer, at: number, pattern: Buffer): "full" | "partial" | "none" {
  const available = Math.min(pattern.length, buf.length - at);
  for (let k = 0; k < available; k++) if (buf[at + k] !== pattern[k]) return "none";
  return available === pattern.length ? "full" : "partial";
}

export class StreamMasker {
  private phrases: Map<number, Buffer[]>;
  private readonly prefixes: Map<number, Buffer[]>;
  private readonly phraseList: string[];
  private pending: Buffer = Buffer.alloc(0);
  private carry: Carry = "none";

  constructor(
    phrases: readonly string[],
    tokenPrefixes: readonly string[] = DEFAULT_TOKEN_PREFIXES,
  ) {
    this.phraseList = [...phrases];
    this.phrases = index(this.phraseList);
    this.prefixes = index(tokenPrefixes);
  }

  /** Adds phrases to hide from now on. */
  addPhrases(phrases: readonly string[]): void {
    this.phraseList.push(...phrases);
    this.phrases = index(this.phraseList);
  }

  /** Masks a chunk; returns the bytes that are safe to emit now. */
  write(chunk: Uint8Array): Buffer {
    if (chunk.length === 0) return Buffer.alloc(0);
    const buf =
      this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    return this.scan(buf, false);
  }

  /** The end of the stream: masks and emits what was held back. */
  end(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    const out = this.scan(rest, true);
    this.carry = "none";
    return out;
  }

  /**
   * Masks `buf`. Unless `final`, stops at a possible partial match running into the buffer's
   * end and keeps it in `pending`.
   */
  private scan(buf: Buffer, final: boolean): Buffer {
    const out: Buffer[] = [];
    let i = this.resume(buf, out);
    let copied = i;
    const flush = (to: number) => {
      if (to > copied) out.push(buf.subarray(copied, to));
      copied = Math.max(copied, to);
    };
    const hold = (from: number) => {
      flush(from);
      this.pending = Buffer.from(buf.subarray(from));
      return Buffer.concat(out);
    };
    while (i < buf.length) {
      const byte = buf[i]!;
      // 1. masked phrases
      const phrase = this.matchAt(this.phrases, buf, i, final);
      if (phrase === "partial") return hold(i);
      if (phrase !== undefined) {
        flush(i);
        out.push(MASK);
        i += phrase.length;
        copied = i;
        continue;
      }
      // 2. URL parameters
      if (byte === 63 || byte === 38) {
        const param = this.urlParamAt(buf, i, final);
        if (param === "partial") return hold(i);
        if (param !== undefined) {
          flush(param); // up to and including "="
          out.push(MASK);
          i = param;
          while (i < buf.length && !isParamEnd(buf[i]!)) i++;
          copied = i;
          if (i === buf.length && !final) this.carry = "inParam";
          continue;
        }
      }
      // 3. token prefixes
      const prefix = this.matchAt(this.prefixes, buf, i, final);
      if (prefix === "partial") return hold(i);
      if (prefix !== undefined) {
        i += prefix.length;
        flush(i);
        if (i === buf.length) {
          if (!final) this.carry = "afterPrefix";
          break;
        }
        if (isTokenChar(buf[i]!)) {
          out.push(MASK);
          while (i < buf.length && isTokenChar(buf[i]!)) i++;
          copied = i;
          if (i === buf.length && !final) this.carry = "inToken";
        }
        continue;
      }
      i++;
    }
    flush(buf.length);
    return Buffer.concat(out);
  }

  /** Continues a token or URL parameter that the previous chunk ended in. */
  private resume(buf: Buffer, out: Buffer[]): number {
    let i = 0;
    if (this.carry === "afterPrefix") {
      this.carry = "none";
      if (buf.length > 0 && isTokenChar(buf[0]!)) {
        out.push(MASK);
        this.carry = "inToken";
      }
    }
    if (this.carry === "inToken") {
      while (i < buf.length && isTokenChar(buf[i]!)) i++;
      if (i < buf.length) this.carry = "none";
    } else if (this.carry === "inParam") {
      while (i < buf.length && !isParamEnd(buf[i]!)) i++;
      if (i < buf.length) this.carry = "none";
    }
    return i;
  }

  private matchAt(
    patterns: Map<number, Buffer[]>,
    buf: Buffer,
    at: number,
    final: boolean,
  ): Buffer | "partial" | undefined {
    const candidates = patterns.get(buf[at]!);
    if (!candidates) return undefined;
    for (const pattern of candidates) {
      const how = compare(buf, at, pattern);
      if (how === "partial" && !final) return "partial";
      if (how === "full") return pattern;
    }
    return undefined;
  }

  /**
   * At a `?` or `&`: the offset just after `=` when a masked parameter's value starts there,
   * "partial" when the buffer ends inside what could still be such a key, else undefined.
   */
  private urlParamAt(buf: Buffer, at: number, final: boolean): number | "partial" | undefined {
    let k = at + 1;
    while (k < buf.length && k - at - 1 <= URL_KEY_MAX) {
      const byte = buf[k]!;
      if (byte === 61) {
        const key = buf
          .subarray(at + 1, k)
          .toString("latin1")
          .toLowerCase();
        return URL_PARAM_KEYS.has(key) ? k + 1 : undefined;
      }
      if (byte === 63 || byte === 38) return undefined;
      k++;
    }
    if (k < buf.length || final) return undefined; // longer than any key, or nothing follows
    const partial = buf
      .subarray(at + 1)
      .toString("latin1")
      .toLowerCase();
    for (const key of URL_PARAM_KEYS) if (key.startsWith(partial)) return "partial";
    return undefined;
  }
}
