/**
 * `needs`: which jobs of this pipeline a job waits for. A need on a parallel job means all of
 * its instances; `parallel:matrix` in a need picks instances; `optional: true` needs on absent
 * jobs are dropped. Cross-pipeline and cross-project needs are not jobs of this pipeline.
 * Docs: https://docs.gitlab.com/ci/yaml/#needs
 */
import { isMap } from "../compose/deep-merge.js";
import { matrixCombinations, matrixJobName } from "./parallel.js";

export interface NeedSpec {
  /** The YAML job name needed. */
  job: string;
  /** Instance names when the need names matrix values; otherwise every instance of `job`. */
  instances?: string[];
  artifacts: boolean;
  optional: boolean;
}

/** `needs` as written → job needs in this pipeline; other entries (pipeline/project) are left out. */
export function parseNeeds(value: unknown): NeedSpec[] | null {
  if (value === undefined || value === null) return null;
  const items = Array.isArray(value) ? value : [value];
  const out: NeedSpec[] = [];
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (typeof item === "string") {
      out.push({ job: item, artifacts: true, optional: false });
    } else if (isMap(item) && typeof item.job === "string") {
      if (item.pipeline !== undefined || item.project !== undefined) continue;
      const need: NeedSpec = {
        job: item.job,
        artifacts: item.artifacts !== false,
        optional: item.optional === true,
      };
      if (isMap(item.parallel) && Array.isArray(item.parallel.matrix)) {
        need.instances = matrixCombinations(item.parallel.matrix).map((m) =>
          matrixJobName(item.job as string, m),
        );
      }
      out.push(need);
    }
  }
  return out;
}

/**
 * Instance names a need resolves to, given the instances of each job present in the pipeline
 * (for a need on the whole job, `present`'s own list: read it, don't keep it).
 */
export function resolveNeed(
  need: NeedSpec,
  present: ReadonlyMap<string, readonly string[]>,
): readonly string[] {
  const instances = present.get(need.job) ?? [];
  if (!need.instances) return instances;
  return need.instances.filter((name) => instances.includes(name));
}
