/**
 * GETs a text document over http or https: what a remote include (`include:remote`) needs.
 * Redirects are followed (at most 20, as `fetch` does: https://fetch.spec.whatwg.org/#http-redirect-fetch),
 * the whole exchange has a deadline, and a body over a size cap is refused as it arrives.
 *
 * Unlike the global `fetch`, it takes the certificates to trust (`ca`): when bin/conveyor kept
 * NODE_EXTRA_CA_CERTS from Node's start (launch/deferred-ca.ts), the connection trusts Node's
 * own roots and those certificates, as it would have had Node read them.
 */
import type { IncomingMessage } from "node:http";

export interface GetTextOptions {
  /** The whole exchange, redirects included, must end within this (ms). */
  timeoutMs: number;
  /** A body larger than this (bytes) is refused. */
  maxBytes: number;
  /** The certificates https connections trust, instead of Node's default ones. */
  ca?: readonly string[];
}

export interface TextResponse {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  text: string;
}

const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** GETs `url`; rejects on network errors, the deadline, too many redirects or a body too large. */
export async function getText(url: string, options: GetTextOptions): Promise<TextResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    return await follow(url, options, signal);
  } catch (error) {
    if (signal.aborted) throw new Error(`${url}: no answer within ${options.timeoutMs} ms`);
    throw error;
  }
}

async function follow(
  url: string,
  options: GetTextOptions,
  signal: AbortSignal,
): Promise<TextResponse> {
  let current = httpUrl(url, url);
  for (let redirects = 0; ; redirects++) {
    const response = await exchange(current, options, signal);
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || location === undefined) {
      const text = await readBody(response, options.maxBytes, current);
      return { url: current.href, status: response.statusCode ?? 0, text };
    }
    response.resume();
    if (redirects === MAX_REDIRECTS)
      throw new Error(`${url}: more than ${MAX_REDIRECTS} redirects`);
    current = httpUrl(new URL(location, current).href, url);
  }
}

function httpUrl(address: string, asked: string): URL {
  const url = new URL(address);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${asked}: not an http(s) URL (${url.protocol})`);
  }
  return url;
}

async function exchange(
  url: URL,
  options: GetTextOptions,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const secure = url.protocol === "https:";
  // Loaded when used: loading node:http and node:https costs every lint and plan a few
  // milliseconds as they start, and few pipelines include a remote file.
  const { request: send } = secure ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: "GET",
      signal,
      headers: { accept: "*/*" },
      ...(secure && options.ca ? { ca: [...options.ca] } : {}),
    });
    request.once("response", resolve);
    request.once("error", reject);
    request.end();
  });
}

function readBody(response: IncomingMessage, maxBytes: number, url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy(new Error(`${url.href} is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.once("error", reject);
    response.once("close", () => {
      if (!response.complete) reject(new Error(`${url.href}: the response was cut short`));
    });
  });
}
