/**
 * A FAKE executor for the agent's tests: steps do what the test says (write output, wait for a
 * gate or for the cancel signal, exit with a code) instead of running a shell, and the executor
 * counts jobs between prepare and cleanup so tests can check concurrency. The runner core around
 * it (sources, caches, artifacts, trace, masking) is the real one.
 */
import type { JobPayload } from "@conveyor/protocol";
import type {
  Executor,
  ExecutorSession,
  PrepareRequest,
  StepOutcome,
  StepRequest,
} from "../../executor.js";

export interface StepContext {
  job: JobPayload;
  /** The job's host builds directory (`<buildsRoot>/<concurrent id>`). */
  hostBuildsDir: string;
}

export type StepBehavior = (
  step: StepRequest,
  context: StepContext,
) => Promise<StepOutcome> | StepOutcome;

/** A step that prints its name and succeeds. */
export const succeed: StepBehavior = (step) => {
  step.output(Buffer.from(`running ${step.name}\n`));
  return { exitCode: 0, timedOut: false, canceled: false };
};

/** Waits until the step is canceled (or killed), then reports it canceled. */
export function untilCanceled(step: StepRequest): Promise<StepOutcome> {
  return new Promise((resolve) => {
    const done = () => resolve({ exitCode: null, timedOut: false, canceled: true });
    if (step.signal.aborted) done();
    else step.signal.addEventListener("abort", done, { once: true });
  });
}

export class ScriptedExecutor implements Executor {
  /** Jobs between prepare and cleanup now, and the most there ever were. */
  running = 0;
  maxRunning = 0;
  /** Job ids in the order they were prepared. */
  readonly prepared: number[] = [];
  /** `<job id>:<step name>` in the order steps started. */
  readonly steps: string[] = [];

  constructor(
    private readonly behavior: StepBehavior = succeed,
    readonly name = "shell",
  ) {}

  async prepare(request: PrepareRequest): Promise<ExecutorSession> {
    const job = request.payload;
    this.prepared.push(job.id);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    let open = true;
    const context: StepContext = { job, hostBuildsDir: request.hostBuildsDir };
    return {
      jobBuildsDir: request.hostBuildsDir,
      hostBuildsDir: request.hostBuildsDir,
      shell: "bash",
      hostName: "scripted-host",
      runStep: async (step) => {
        this.steps.push(`${job.id}:${step.name}`);
        return this.behavior(step, context);
      },
      cleanup: async () => {
        if (!open) return;
        open = false;
        this.running--;
      },
    };
  }
}

/** Polls `check` until it holds; throws after `limitMs` so that a broken agent fails the test. */
export async function waitFor(check: () => boolean, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
