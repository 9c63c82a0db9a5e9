import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PlannedJob } from "@conveyor/pipeline";
import type { JobRecord } from "./job-record.js";
import { PreviousStatuses, previousStatus } from "./processing.js";
import type { JobStatus } from "./statuses.js";

const STATUSES: JobStatus[] = [
  "created",
  "pending",
  "running",
  "success",
  "failed",
  "canceled",
  "skipped",
  "manual",
  "scheduled",
];

/** A small deterministic PRNG (xorshift32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function records(seed: number): JobRecord[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const names = Array.from({ length: 30 }, (_, i) => `job-${i}`);
  return names.map((name, i) => {
    const stageIndex = Math.floor(next() * 5) - (next() < 0.05 ? 6 : 0);
    const needs =
      next() < 0.5
        ? null
        : names
            .slice(0, i)
            .filter(() => next() < 0.15)
            .concat(pick(names));
    const job = { name, stage: `s${stageIndex}`, needs } as unknown as PlannedJob;
    const attempt = { status: pick(STATUSES), allowFailure: next() < 0.2 };
    return { job, stageIndex, settings: {}, attempts: [attempt] } as unknown as JobRecord;
  });
}

describe("PreviousStatuses", () => {
  it("gives what previousStatus gives, as statuses change and after invalidate()", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const all = records(seed);
      const index = new PreviousStatuses(all);
      const next = random(seed * 7919);
      for (let round = 0; round < 5; round++) {
        for (const record of all) {
          assert.equal(index.of(record), previousStatus(record, all), `seed ${seed}`);
        }
        for (const record of all) {
          if (next() < 0.3) record.attempts[0]!.status = STATUSES[Math.floor(next() * 9)]!;
        }
        index.invalidate();
      }
    }
  });

  it("keeps the stage order's answer until invalidated", () => {
    const record = (name: string, stageIndex: number): JobRecord =>
      ({
        job: { name, stage: `s${stageIndex}`, needs: null } as unknown as PlannedJob,
        stageIndex,
        settings: {},
        attempts: [{ status: "success", allowFailure: false }],
      }) as unknown as JobRecord;
    const [first, second, late] = [record("a", 0), record("b", 1), record("c", 2)];
    const index = new PreviousStatuses([first, second, late]);
    assert.equal(index.of(late), "success");
    first.attempts[0]!.status = "running";
    assert.equal(index.of(late), "success", "not read again before invalidate()");
    index.invalidate();
    assert.equal(index.of(late), "running");
    assert.equal(index.of(first), "success", "nothing before the first stage");
  });
});
