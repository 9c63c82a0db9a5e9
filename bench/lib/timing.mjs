/**
 * The timing loop of every benchmark: warm-up runs, then timed runs, with progress on stderr
 * (and, for runs that take long, a line every 15 s saying the run is still going).
 */
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import { endProgress, progress } from "./report.mjs";

function heartbeat(label) {
  const start = performance.now();
  const timer = setInterval(() => {
    const elapsed = Math.round((performance.now() - start) / 1000);
    progress(`${label}: still running after ${elapsed} s`, { lasting: true });
  }, 15_000);
  return () => clearInterval(timer);
}

/**
 * Runs `once` (async; resolves to an object with `elapsed` in ms, or throws when the run went
 * wrong) `warmup` times untimed, then `runs` times. Returns the timed runs' `elapsed` values as
 * `samples` and their whole results as `results`. `format` shows an elapsed time.
 */
export async function timeRuns(label, { warmup, runs }, once, format) {
  const step = async (what) => {
    progress(`  ${label}: ${what}…`);
    const stop = heartbeat(`  ${label}: ${what}`);
    try {
      return await once();
    } finally {
      stop();
    }
  };
  try {
    for (let i = 0; i < warmup; i++) await step(`warm-up ${i + 1}/${warmup}`);
    const results = [];
    for (let i = 0; i < runs; i++) {
      const result = await step(`run ${i + 1}/${runs}`);
      results.push(result);
      progress(`  ${label}: run ${i + 1}/${runs}  ${format(result.elapsed)}`, { lasting: true });
    }
    return { samples: results.map((result) => result.elapsed), results };
  } finally {
    endProgress();
  }
}
