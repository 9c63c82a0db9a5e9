/**
 * Splits a CGI program's output into its response head and body (RFC 3875 §6): header lines
 * up to the first empty line, `Status: 403 Forbidden` giving the status code (200 without it),
 * the remaining bytes being the body — left in the stream, so a body of any size streams
 * through without being held in memory.
 */
import type { Readable } from "node:stream";

export interface CgiHead {
  status: number;
  /** Header lines other than `Status`, in order, names as the program wrote them. */
  headers: [string, string][];
}

/** The longest header block accepted; git-http-backend writes a few hundred bytes. */
const MAX_HEAD_BYTES = 64 * 1024;

/** Parses a header block (without the blank line that ends it). */
export function parseCgiHead(block: string): CgiHead {
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") {
      const code = Number(/^\d{3}/.exec(value)?.[0]);
      if (code >= 100 && code <= 599) status = code;
    } else {
      headers.push([name, value]);
    }
  }
  return { status, headers };
}

/** Where the head ends: the end of the blank line (`\r\n\r\n` or `\n\n`), or -1. */
function headEnd(bytes: Buffer): { head: number; body: number } | undefined {
  const crlf = bytes.indexOf("\r\n\r\n");
  const lf = bytes.indexOf("\n\n");
  if (crlf < 0 && lf < 0) return undefined;
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { head: lf, body: lf + 2 };
  return { head: crlf, body: crlf + 4 };
}

/**
 * Reads the head from `output` and resolves once it is complete; `output` is then positioned
 * at the first body byte (anything read past the head is pushed back), ready to be piped.
 * Rejects when the output ends or fails before a complete head.
 */
export function readCgiHead(output: Readable): Promise<CgiHead> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = () => {
      output.off("readable", onReadable);
      output.off("end", onEnd);
      output.off("error", onError);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("the CGI program ended without a complete response head"));
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = output.read() as Buffer | null) !== null) {
        buffered = Buffer.concat([buffered, chunk]);
        const end = headEnd(buffered);
        if (end) {
          cleanup();
          const rest = buffered.subarray(end.body);
          if (rest.length > 0) output.unshift(rest);
          resolve(parseCgiHead(buffered.subarray(0, end.head).toString("latin1")));
          return;
        }
        if (buffered.length > MAX_HEAD_BYTES) {
          cleanup();
          reject(new Error("the CGI program's response head is too long"));
          return;
        }
      }
    };
    output.on("readable", onReadable);
    output.on("end", onEnd);
    output.on("error", onError);
  });
}
