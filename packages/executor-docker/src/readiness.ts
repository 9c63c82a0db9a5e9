/**
 * Waits until a service container accepts TCP connections, as the runner's health check does
 * (https://docs.gitlab.com/ci/services/#how-the-health-check-of-services-works): it dials the
 * service's health-check ports (see `healthCheckPorts`) until one answers or the timeout passes.
 * The dial goes from this process to the container's address on the job network, so it needs an
 * engine on this host (a local socket); a container that exits ends the wait at once.
 */
import { connect } from "node:net";
import type { EngineApi } from "./engine-api.js";
import { healthCheckPorts } from "./convert.js";

export type Readiness = { ready: true } | { ready: false; error: string };

const RETRY_MS = 200;
const DIAL_TIMEOUT_MS = 1_000;

export async function waitForService(
  api: EngineApi,
  containerId: string,
  network: string,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<Readiness> {
  const deadline = Date.now() + options.timeoutMs;
  let ports: number[] | undefined;
  let address: string | undefined;
  for (;;) {
    if (options.signal.aborted) return { ready: false, error: "the job was canceled" };
    const info = await api.inspectContainer(containerId);
    if (!info) return { ready: false, error: "service container is gone" };
    if (!info.State.Running && info.State.Status !== "created") {
      return {
        ready: false,
        error: `service container exited with code ${info.State.ExitCode} before it accepted connections`,
      };
    }
    if (!ports) {
      const found = healthCheckPorts(info.Config.Env, info.Config.ExposedPorts);
      if ("error" in found) return { ready: false, error: found.error };
      ports = found.ports;
    }
    address = info.NetworkSettings.Networks?.[network]?.IPAddress || address;
    if (address && info.State.Running) {
      const host = address;
      const answers = await Promise.all(ports.map((port) => dial(host, port, options.signal)));
      if (answers.some(Boolean)) return { ready: true };
    }
    if (Date.now() >= deadline) {
      return {
        ready: false,
        error: `service did not accept TCP connections on ${address ?? "its address"} port [${ports.join(" ")}] within ${Math.round(options.timeoutMs / 1000)} seconds (timeout)`,
      };
    }
    await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())), options.signal);
  }
}

/** One TCP connection attempt: true when it is accepted. */
export function dial(host: string, port: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: DIAL_TIMEOUT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      signal?.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    }
    signal.addEventListener("abort", finish, { once: true });
  });
}
