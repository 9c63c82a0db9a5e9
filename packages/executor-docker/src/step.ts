/**
 * Runs one script in the job container, as the runner does for each stage: attach to the
 * (stopped) container, start it, write the script to the shell's stdin and close it, stream the
 * output, and read the exit code when the container stops. The same container is started again
 * for the next step, so files outside /builds survive between steps
 * (gitlab-runner `executors/docker/docker_command.go`: one build container, reused per stage).
 * A timeout or cancel kills the container (SIGKILL) and returns at once.
 */
import type { StepOutcome } from "@conveyor/runner";
import { StreamDemuxer } from "./demux.js";
import { engineMessage, type EngineApi } from "./engine-api.js";
import { stdinForScript } from "./shell.js";

export interface ScriptRun {
  script: string;
  /** Milliseconds; 0 or less: no limit. */
  timeoutMs: number;
  signal: AbortSignal;
  output: (chunk: Uint8Array) => void;
}

/** How long to wait for the engine to confirm a killed container stopped. */
const KILL_SETTLE_MS = 10_000;

export async function runScript(
  api: EngineApi,
  containerId: string,
  run: ScriptRun,
): Promise<StepOutcome> {
  if (run.signal.aborted) return { exitCode: null, timedOut: false, canceled: true };
  let stream;
  try {
    stream = await api.attachContainer(containerId);
  } catch (error) {
    return failed(`cannot attach to the job container: ${engineMessage(error)}`);
  }
  const demuxer = new StreamDemuxer((kind, payload) => {
    if (kind !== "stdin") run.output(payload);
  });
  const ended = new Promise<"exited">((resolve) => {
    stream.on("data", (chunk: Buffer) => demuxer.push(chunk));
    stream.once("end", () => resolve("exited"));
    stream.once("close", () => resolve("exited"));
    stream.once("error", () => resolve("exited"));
  });
  try {
    await api.startContainer(containerId);
  } catch (error) {
    stream.destroy();
    return failed(`the job container did not start: ${engineMessage(error)}`);
  }
  stream.write(stdinForScript(run.script));
  stream.end();

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<"timeout" | "cancel">((resolve) => {
    if (run.timeoutMs > 0) timer = setTimeout(() => resolve("timeout"), run.timeoutMs);
    onAbort = () => resolve("cancel");
    run.signal.addEventListener("abort", onAbort, { once: true });
  });
  const reason = await Promise.race([ended, stopped]);
  clearTimeout(timer);
  run.signal.removeEventListener("abort", onAbort!);

  if (reason === "exited") {
    try {
      return { exitCode: await api.waitContainer(containerId), timedOut: false, canceled: false };
    } catch (error) {
      return failed(`cannot read the job container's exit code: ${engineMessage(error)}`);
    }
  }
  stream.destroy();
  await stopContainer(api, containerId);
  return { exitCode: null, timedOut: reason === "timeout", canceled: reason === "cancel" };
}

/** Kills the container and waits (bounded) until the engine reports it stopped; never throws. */
export async function stopContainer(api: EngineApi, containerId: string): Promise<void> {
  try {
    await api.killContainer(containerId);
    await api.waitContainer(containerId, AbortSignal.timeout(KILL_SETTLE_MS));
  } catch {
    // gone already, or the engine is slow: cleanup removes it by force either way
  }
}

function failed(systemError: string): StepOutcome {
  return { exitCode: null, timedOut: false, canceled: false, systemError };
}
