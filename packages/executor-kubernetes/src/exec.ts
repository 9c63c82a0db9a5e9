/**
 * Runs a command in a pod's container through the exec API: a WebSocket to
 * `/api/v1/namespaces/<ns>/pods/<pod>/exec` speaking the channel protocol
 * (https://kubernetes.io/docs/reference/using-api/websockets/ — every binary message starts with
 * its channel: 0 stdin, 1 stdout, 2 stderr, 3 the final status, a `metav1.Status` in JSON;
 * `v5.channel.k8s.io` adds 255 `<channel>` to close one stream, which is how stdin ends, from
 * Kubernetes 1.30 (KEP-4006)). The status says `Success`, or `Failure` with reason
 * `NonZeroExitCode` and the code in `details.causes[reason=ExitCode].message`.
 *
 * Written on `ws` with the KubeConfig's TLS and credentials (`applyToHTTPSOptions`) rather than
 * the client's `Exec`, for two things it lacks: stdin with backpressure, and a way to end stdin
 * that does not close the connection.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import WebSocket from "ws";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
/** Frames of stdin in flight before waiting for the socket to drain. */
const STDIN_HIGH_WATER = 4 * 1024 * 1024;

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: readonly string[];
  /** Sent, then closed (needs v5.channel.k8s.io); without it the command gets no stdin. */
  stdin?: string | Buffer | ByteSource;
  stdout?: (chunk: Buffer) => void;
  /** Instead of `stdout`: written with backpressure (the connection pauses while it is full); not ended here. */
  stdoutSink?: ByteSink;
  stderr?: (chunk: Buffer) => void;
  /** Closes the connection; the command keeps running in the container (the exec API has no kill). */
  signal?: AbortSignal;
}

/** A stream of bytes to send (a Node or streamx Readable). */
export type ByteSource = AsyncIterable<Buffer | Uint8Array | string>;

/** Where bytes go with backpressure (a Node or streamx Writable). */
export interface ByteSink {
  /** False when the sink is full: wait for `drain`. */
  write(chunk: Buffer): boolean;
  once(event: "drain", listener: () => void): unknown;
}

export interface ExecResult {
  /** The command's exit code; null when it is unknown (aborted, or the API reported an error). */
  exitCode: number | null;
  /** Why there is no exit code: the API's failure message, or a broken connection. */
  error?: string;
  aborted: boolean;
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The exit code in a final status, or the failure's message. */
export function exitOfStatus(status: ExecStatus): { exitCode: number } | { error: string } {
  if (status.status === "Success") return { exitCode: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  if (status.reason === "NonZeroExitCode" && cause?.message !== undefined) {
    const code = Number(cause.message);
    if (Number.isInteger(code)) return { exitCode: code };
  }
  return { error: status.message || status.reason || "the command failed" };
}

export class PodExec {
  constructor(private readonly kubeConfig: KubeConfig) {}

  /** The WebSocket URL of an exec. */
  urlOf(request: Pick<ExecRequest, "namespace" | "pod" | "container" | "command" | "stdin">) {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("the Kubernetes configuration names no cluster");
    const query = new URLSearchParams();
    for (const part of request.command) query.append("command", part);
    query.set("container", request.container);
    query.set("stdout", "true");
    query.set("stderr", "true");
    query.set("stdin", request.stdin !== undefined ? "true" : "false");
    query.set("tty", "false");
    const base = cluster.server.replace(/^http/, "ws").replace(/\/+$/, "");
    return (
      `${base}/api/v1/namespaces/${encodeURIComponent(request.namespace)}` +
      `/pods/${encodeURIComponent(request.pod)}/exec?${query}`
    );
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    if (request.signal?.aborted) return { exitCode: null, aborted: true };
    const options: WebSocket.ClientOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const socket = new WebSocket(this.urlOf(request), PROTOCOLS, options);
    return new Promise<ExecResult>((resolve) => {
      let settled = false;
      let result: ExecResult | undefined;
      const finish = (outcome: ExecResult) => {
        if (settled) return;
        settled = true;
        request.signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      const onAbort = () => {
        socket.terminate();
        finish({ exitCode: null, aborted: true });
      };
      request.signal?.addEventListener("abort", onAbort, { once: true });

      socket.on("unexpected-response", (_req, response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let message = body.trim();
          try {
            message = (JSON.parse(body) as ExecStatus).message ?? message;
          } catch {
            // not a Status: keep the text
          }
          socket.terminate();
          finish({
            exitCode: null,
            aborted: false,
            error: `exec was refused (HTTP ${response.statusCode}): ${message.slice(0, 500)}`,
          });
        });
      });
      socket.on("error", (error) => {
        finish({
          exitCode: null,
          aborted: false,
          error: `exec connection failed: ${error.message}`,
        });
      });
      socket.on("message", (frame: Buffer) => {
        if (frame.length < 1) return;
        const channel = frame[0];
        const payload = frame.subarray(1);
        if (channel === STDOUT) {
          if (payload.length === 0) return;
          request.stdout?.(payload);
          const sink = request.stdoutSink;
          if (sink && !sink.write(payload) && !socket.isPaused) {
            socket.pause();
            sink.once("drain", () => socket.resume());
          }
        } else if (channel === STDERR) {
          if (payload.length > 0) request.stderr?.(payload);
        } else if (channel === STATUS) {
          let status: ExecStatus;
          try {
            status = JSON.parse(payload.toString("utf8")) as ExecStatus;
          } catch {
            status = { message: payload.toString("utf8") };
          }
          const exit = exitOfStatus(status);
          result =
            "exitCode" in exit
              ? { exitCode: exit.exitCode, aborted: false }
              : { exitCode: null, aborted: false, error: exit.error };
        }
      });
      socket.on("close", () => {
        finish(
          result ?? {
            exitCode: null,
            aborted: false,
            error: "the exec connection closed without the command's status",
          },
        );
      });
      socket.on("open", () => {
        if (request.stdin === undefined) return;
        sendStdin(socket, request.stdin).catch((error: unknown) => {
          socket.terminate();
          finish({
            exitCode: null,
            aborted: false,
            error: `sending stdin failed: ${error instanceof Error ? error.message : String(error)}`,
          });
        });
      });
    });
  }
}

function frameOf(channel: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(payload.length + 1);
  frame[0] = channel;
  payload.copy(frame, 1);
  return frame;
}

function send(socket: WebSocket, frame: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(frame, { binary: true }, (error) => (error ? reject(error) : resolve()));
  });
}

/** Streams stdin in frames (waiting when too much is buffered), then closes it. */
async function sendStdin(socket: WebSocket, stdin: string | Buffer | ByteSource): Promise<void> {
  if (socket.protocol !== "v5.channel.k8s.io") {
    throw new Error(
      `the API server speaks ${socket.protocol || "no channel protocol"}, not v5.channel.k8s.io, ` +
        "so stdin cannot be closed (Kubernetes 1.30 or later is needed)",
    );
  }
  if (typeof stdin === "string" || Buffer.isBuffer(stdin)) {
    const data = Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin, "utf8");
    if (data.length > 0) await send(socket, frameOf(STDIN, data));
  } else {
    let pending: Promise<void>[] = [];
    for await (const chunk of stdin) {
      if (socket.readyState !== WebSocket.OPEN) throw new Error("the exec connection closed");
      const data =
        typeof chunk === "string"
          ? Buffer.from(chunk, "utf8")
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      pending.push(send(socket, frameOf(STDIN, data)));
      if (socket.bufferedAmount > STDIN_HIGH_WATER) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
  }
  await send(socket, Buffer.from([CLOSE, STDIN]));
}
