/**
 * The few Docker Engine API calls the executor makes, through dockerode, with plain types and
 * "already gone" treated as success where that is what the caller wants (kill, remove).
 * Create calls send their query (`name`, `platform`) and JSON body apart, so a container's
 * environment never travels in a URL.
 * Reference: https://docs.docker.com/reference/api/engine/version/v1.41/
 */
import type { Duplex, Readable } from "node:stream";
import type Docker from "dockerode";
import { demuxToString } from "./demux.js";

export interface ImageInfo {
  Id: string;
  RepoDigests?: string[];
  Os?: string;
  Architecture?: string;
  Config?: {
    ExposedPorts?: Record<string, unknown> | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
  } | null;
}

export interface ContainerInfo {
  Id: string;
  Name: string;
  State: { Running: boolean; Status: string; ExitCode: number };
  Config: { Env?: string[] | null; ExposedPorts?: Record<string, unknown> | null };
  NetworkSettings: { Networks?: Record<string, { IPAddress?: string }> | null };
}

export interface ResourceSummary {
  id: string;
  labels: Record<string, string>;
  /** Milliseconds since the epoch. */
  createdMs: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

interface EngineError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** The HTTP status of a failed Engine call, when it has one. */
export function statusOf(error: unknown): number | undefined {
  return (error as EngineError | null)?.statusCode;
}

/** The engine's own message for a failed call (without dockerode's "(HTTP code …)" prefix). */
export function engineMessage(error: unknown): string {
  const e = error as EngineError | null;
  const fromJson = e?.json && typeof e.json === "object" ? e.json.message : undefined;
  return (fromJson ?? e?.message ?? String(error)).trim();
}

export class EngineApi {
  constructor(readonly docker: Docker) {}

  /** Resolves when the engine answers `GET /_ping` within timeoutMs. */
  async ping(timeoutMs = 5_000): Promise<void> {
    const ping = this.docker.ping.bind(this.docker) as unknown as (
      opts: object,
    ) => Promise<unknown>;
    await ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
  }

  async inspectImage(name: string): Promise<ImageInfo | null> {
    try {
      return (await this.docker.getImage(name).inspect()) as unknown as ImageInfo;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  /** `POST /images/create`; fails with the engine's message when the pull stream reports one. */
  async pullImage(
    params: { fromImage: string; tag: string },
    options: { platform?: string; auth?: RegistryAuth; signal?: AbortSignal } = {},
  ): Promise<void> {
    const query: Record<string, string> = { ...params };
    if (options.platform) query.platform = options.platform;
    const create = this.docker.createImage.bind(this.docker) as unknown as (
      auth: RegistryAuth | undefined,
      opts: object,
    ) => Promise<Readable>;
    const stream = await create(options.auth, {
      _query: query,
      _body: {},
      abortSignal: options.signal,
    });
    await readProgressStream(stream);
  }

  async createNetwork(body: Record<string, unknown>): Promise<string> {
    const network = await this.docker.createNetwork(body as unknown as Docker.NetworkCreateOptions);
    return network.id;
  }

  async removeNetwork(id: string): Promise<void> {
    try {
      await this.docker.getNetwork(id).remove();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async createContainer(
    name: string,
    body: Record<string, unknown>,
    platform?: string,
  ): Promise<string> {
    const query: Record<string, string> = { name };
    if (platform) query.platform = platform;
    const container = await this.docker.createContainer({
      _query: query,
      _body: dropUndefined(body),
    } as unknown as Docker.ContainerCreateOptions);
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      // 304: already started
      if (statusOf(error) !== 304) throw error;
    }
  }

  async inspectContainer(id: string): Promise<ContainerInfo | null> {
    try {
      return (await this.docker.getContainer(id).inspect()) as unknown as ContainerInfo;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  /** Attaches stdin, stdout and stderr (hijacked connection): write the script, read frames. */
  async attachContainer(id: string): Promise<Duplex> {
    const stream = await this.docker.getContainer(id).attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    });
    return stream as unknown as Duplex;
  }

  /** `POST /containers/{id}/wait` (condition not-running): the exit code. */
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const result = (await this.docker.getContainer(id).wait({ abortSignal: signal } as object)) as {
      StatusCode: number;
    };
    return result.StatusCode;
  }

  /** SIGKILL; a container already stopped or gone is fine. */
  async killContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal: "SIGKILL" });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw error;
    }
  }

  /** Force-removes a container and its anonymous volumes; a container already gone is fine. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      const status = statusOf(error);
      // 409: removal already in progress (another cleanup got there first)
      if (status !== 404 && status !== 409) throw error;
    }
  }

  /** The container's logs with timestamps (stdout and stderr interleaved), last `tail` lines. */
  async containerLogs(id: string, tail = 1000): Promise<string> {
    const data = (await this.docker.getContainer(id).logs({
      stdout: true,
      stderr: true,
      timestamps: true,
      follow: false,
      tail,
    })) as unknown as Uint8Array | string;
    return typeof data === "string" ? data : demuxToString(data);
  }

  /** Containers (running or not) carrying every label filter (`key=value` or `key`). */
  async listContainers(labels: string[]): Promise<ResourceSummary[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: labels } });
    return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, createdMs: c.Created * 1000 }));
  }

  async listNetworks(labels: string[]): Promise<ResourceSummary[]> {
    const list = (await this.docker.listNetworks({ filters: { label: labels } })) as {
      Id: string;
      Labels?: Record<string, string> | null;
      Created?: string;
    }[];
    return list.map((n) => ({
      id: n.Id,
      labels: n.Labels ?? {},
      createdMs: n.Created ? Date.parse(n.Created) : 0,
    }));
  }
}

function dropUndefined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

/** Reads a pull's JSON-lines progress to its end; rejects on an `error` line or a stream error. */
export function readProgressStream(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let failed: string | undefined;
    const take = (line: string) => {
      if (line.trim() === "" || failed !== undefined) return;
      try {
        const event = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
        if (event.error || event.errorDetail) {
          failed = event.errorDetail?.message ?? event.error ?? "pull failed";
        }
      } catch {
        // not JSON: progress noise
      }
    };
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        take(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    stream.once("error", reject);
    stream.once("end", () => {
      take(buffered);
      if (failed !== undefined) reject(new Error(failed));
      else resolve();
    });
  });
}
