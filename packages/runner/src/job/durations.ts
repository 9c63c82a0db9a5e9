/**
 * Go durations as the runner reads and prints them: `RUNNER_SCRIPT_TIMEOUT` /
 * `RUNNER_AFTER_SCRIPT_TIMEOUT` values go through Go's `time.ParseDuration` ("1h30m", "90s",
 * "1.5m"), and "execution took longer than 1h0m0s seconds" prints a `time.Duration`.
 * Docs: https://docs.gitlab.com/ci/runners/configure_runners/#set-script-and-after_script-timeouts
 * Pure.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined when `text` is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === "") return undefined;
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  const part = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== "") {
    const match = part.exec(rest);
    if (!match || match[1] === "" || match[1] === ".") return undefined;
    total += Number.parseFloat(match[1]!) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

function trimFraction(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, "");
}

/** Go's `Duration.String()` for a number of milliseconds (`1h0m0s`, `1m30s`, `1.5s`, `500ms`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const negative = ms < 0;
  const abs = Math.abs(ms);
  let text: string;
  if (abs < 1000) {
    text = `${trimFraction(abs, 6)}ms`;
  } else {
    const hours = Math.floor(abs / 3_600_000);
    const minutes = Math.floor((abs % 3_600_000) / 60_000);
    const seconds = (abs % 60_000) / 1000;
    text =
      (hours > 0 ? `${hours}h` : "") +
      (hours > 0 || minutes > 0 ? `${minutes}m` : "") +
      `${trimFraction(seconds, 3) || "0"}s`;
  }
  return negative ? `-${text}` : text;
}
