/** Summary statistics of timing samples: count, min, median and nearest-rank p90. */

export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { runs: 0 };
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p90 = sorted[Math.min(n - 1, Math.ceil(0.9 * n) - 1)];
  return { runs: n, min: sorted[0], median, p90 };
}
