/**
 * The jobs a job downloads artifacts from: with `needs`, the needs whose artifacts it wants;
 * otherwise every job of the earlier stages. `dependencies` narrows that list to the named
 * jobs (a parallel job's name covers all its instances), and `dependencies: []` empties it.
 * Source: app/models/ci/build_dependencies.rb (`local`), https://docs.gitlab.com/ci/yaml/#dependencies
 */
import type { JobRecord } from "./job-record.js";

export function artifactSourceRecords(
  record: JobRecord,
  records: readonly JobRecord[],
): JobRecord[] {
  const { dependencies } = record.settings;
  if (dependencies !== undefined && dependencies.length === 0) return [];
  const { needs, needsArtifacts } = record.job;
  const candidates =
    needs === null
      ? records.filter((other) => other.stageIndex < record.stageIndex)
      : records.filter((other) => needsArtifacts.includes(other.job.name));
  if (dependencies === undefined) return candidates;
  return candidates.filter(
    (other) => dependencies.includes(other.job.name) || dependencies.includes(other.job.jobName),
  );
}
