/**
 * Test helper: a PipelineRun over a YAML pipeline planned by the real pipeline package, with a
 * fake clock (milliseconds), sequential job ids and short verbs for runner reports.
 */
import assert from "node:assert/strict";
import type { EventSpec, Plan } from "@conveyor/pipeline";
import type { FailureReason, JobResult } from "@conveyor/protocol";
import { planYaml } from "../../testing/plan-yaml.js";
import { PipelineRun, type RunOptions } from "../pipeline-run.js";
import type { JobStatus } from "../statuses.js";
import type { Decision, EngineEvent } from "../types.js";

type EventWithoutTime = EngineEvent extends infer E
  ? E extends unknown
    ? Omit<E, "now">
    : never
  : never;

export class Harness {
  now = 0;
  /** Every decision so far, oldest first. */
  readonly log: Decision[] = [];
  readonly run: PipelineRun;

  constructor(
    readonly plan: Plan,
    options: Partial<RunOptions> = {},
  ) {
    let next = 100;
    this.run = new PipelineRun(plan, { ids: () => next++, ...options });
  }

  apply(event: EventWithoutTime): Decision[] {
    const decisions = this.run.apply({ ...event, now: this.now } as EngineEvent);
    this.log.push(...decisions);
    return decisions;
  }

  start(): Decision[] {
    return this.apply({ type: "start" });
  }

  id(name: string): number {
    const job = this.run.job(name);
    if (!job) throw new Error(`no job ${name}`);
    return job.id;
  }

  running(name: string): Decision[] {
    return this.apply({ type: "job-running", jobId: this.id(name) });
  }

  finish(name: string, result: JobResult): Decision[] {
    const jobId = this.id(name);
    if (this.run.job(name)?.status === "pending") this.running(name);
    return this.apply({ type: "job-finished", jobId, result });
  }

  succeed(...names: string[]): Decision[] {
    return names.flatMap((name) => this.finish(name, { state: "success", exit_code: 0 }));
  }

  fail(name: string, how: { exitCode?: number; reason?: FailureReason } = {}): Decision[] {
    const result: JobResult = { state: "failed", failure_reason: how.reason ?? "script_failure" };
    if (how.exitCode !== undefined) result.exit_code = how.exitCode;
    else if (how.reason === undefined) result.exit_code = 1;
    return this.finish(name, result);
  }

  play(jobName: string): Decision[] {
    return this.apply({ type: "play", jobName });
  }

  /** Moves the clock and ticks. */
  advance(ms: number): Decision[] {
    this.now += ms;
    return this.apply({ type: "tick" });
  }

  status(name: string): JobStatus | undefined {
    return this.run.job(name)?.status;
  }

  statuses(): Record<string, JobStatus> {
    return Object.fromEntries(this.run.jobs.map((job) => [job.name, job.status]));
  }

  /** Names of the jobs in enqueue decisions. */
  static enqueued(decisions: readonly Decision[]): string[] {
    return decisions.flatMap((d) => (d.type === "enqueue" ? [d.job.name] : []));
  }
}

export async function harness(
  yaml: string,
  options: Partial<RunOptions> & { event?: EventSpec } = {},
): Promise<Harness> {
  const { event, ...runOptions } = options;
  const { plan } = await planYaml(yaml, event ?? {});
  return new Harness(plan, runOptions);
}

/** A pipeline with every job in the first stage running: start it. */
export async function started(
  yaml: string,
  options: Partial<RunOptions> & { event?: EventSpec } = {},
): Promise<Harness> {
  const h = await harness(yaml, options);
  h.start();
  return h;
}

/**
 * One step of a scenario, as text: `ok a b` (jobs succeed), `fail a [exit=N] [reason=R]`,
 * `run a` (a runner starts it), `canceled a` (the runner reports it stopped), `play a`,
 * `retry a`, `cancel`, `auto-cancel [mode]`, `wait N` (milliseconds, then a tick).
 */
export function perform(h: Harness, step: string): Decision[] {
  const [verb, ...args] = step.split(/\s+/);
  const names = args.filter((arg) => !arg.includes("="));
  const option = (key: string) =>
    args.find((arg) => arg.startsWith(`${key}=`))?.slice(key.length + 1);
  switch (verb) {
    case "ok":
      return h.succeed(...names);
    case "fail": {
      const exit = option("exit");
      const reason = option("reason") as FailureReason | undefined;
      return h.fail(names[0]!, {
        ...(exit !== undefined ? { exitCode: Number(exit) } : {}),
        ...(reason !== undefined ? { reason } : {}),
      });
    }
    case "run":
      return names.flatMap((name) => h.running(name));
    case "canceled":
      return h.finish(names[0]!, { state: "failed", canceled: true });
    case "play":
      return h.play(names[0]!);
    case "retry":
      return h.apply({ type: "retry", jobName: names[0]! });
    case "cancel":
      return h.apply({ type: "cancel" });
    case "auto-cancel":
      return h.apply(
        names[0]
          ? { type: "auto-cancel", mode: names[0] as "conservative" }
          : { type: "auto-cancel" },
      );
    case "wait":
      return h.advance(Number(names[0]));
    default:
      throw new Error(`unknown step ${step}`);
  }
}

export interface Scenario {
  name: string;
  yaml: string;
  steps?: string[];
  /** Expected statuses of these jobs (others are not checked). */
  jobs: Record<string, JobStatus>;
  pipeline?: string;
  warnings?: boolean;
}

/** Runs a scenario from `start` and returns the harness for further checks. */
export async function runScenario(scenario: Scenario): Promise<Harness> {
  const h = await started(scenario.yaml);
  for (const step of scenario.steps ?? []) perform(h, step);
  return h;
}

/** Asserts a scenario's expected job statuses, pipeline status and warnings. */
export function checkScenario(h: Harness, scenario: Scenario): void {
  const actual = h.statuses();
  const picked = Object.fromEntries(Object.keys(scenario.jobs).map((name) => [name, actual[name]]));
  assert.deepEqual(picked, scenario.jobs);
  if (scenario.pipeline !== undefined) assert.equal(h.run.status, scenario.pipeline);
  if (scenario.warnings !== undefined) assert.equal(h.run.warnings, scenario.warnings);
}
