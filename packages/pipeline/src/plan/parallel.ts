/**
 * `parallel` and `parallel:matrix`: one job definition becomes several jobs, named as GitLab
 * names them (`test 1/3`; `build: [linux, amd64]`). Docs: https://docs.gitlab.com/ci/yaml/#parallel
 */
import { isMap } from "../compose/deep-merge.js";

export interface JobInstance {
  name: string;
  /** Matrix values for this instance, in the order the matrix lists them. */
  matrix?: Record<string, string>;
  nodeIndex?: number;
  nodeTotal?: number;
}

/** GitLab's limit on the number of jobs one `parallel` may generate. */
export const MAX_PARALLEL = 200;

export function expandParallel(name: string, parallel: unknown): JobInstance[] {
  if (typeof parallel === "number" && Number.isInteger(parallel) && parallel > 1) {
    return Array.from({ length: parallel }, (_, i) => ({
      name: `${name} ${i + 1}/${parallel}`,
      nodeIndex: i + 1,
      nodeTotal: parallel,
    }));
  }
  if (isMap(parallel) && Array.isArray(parallel.matrix)) {
    const combos = matrixCombinations(parallel.matrix);
    return combos.map((matrix, i) => ({
      name: matrixJobName(name, matrix),
      matrix,
      nodeIndex: i + 1,
      nodeTotal: combos.length,
    }));
  }
  return [{ name }];
}

/** Every combination of every matrix entry, entry by entry, keys in their written order. */
export function matrixCombinations(matrix: readonly unknown[]): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const entry of matrix) {
    if (!isMap(entry)) continue;
    let partial: Record<string, string>[] = [{}];
    for (const [key, raw] of Object.entries(entry)) {
      const values = Array.isArray(raw) ? raw.map(scalarText) : [scalarText(raw)];
      partial = partial.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
    }
    out.push(...partial);
  }
  return out;
}

export function matrixJobName(name: string, matrix: Record<string, string>): string {
  return `${name}: [${Object.values(matrix).join(", ")}]`;
}

function scalarText(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}
