/**
 * Which of the cache and artifact stages have anything to do: the runner skips a stage with
 * nothing to do (feature flag `FF_SKIP_NOOP_BUILD_STAGES`, on by default), so the log shows no
 * empty sections. gitlab-runner `shells/abstract.go` (`cacheExtractor`, `archiveCache`,
 * `downloadAllArtifacts`/`jobArtifacts`, `writeUploadArtifacts`), `common/spec/spec.go`
 * (`CacheWhen.ShouldCache`, `ArtifactWhen.OnSuccess/OnFailure`). Pure.
 */
import type { ArtifactWhen, JobPayload } from "@conveyor/protocol";

function whenMatches(when: ArtifactWhen | undefined, succeeded: boolean): boolean {
  switch (when) {
    case "always":
      return true;
    case "on_failure":
      return !succeeded;
    default:
      return succeeded;
  }
}

function hasFiles(entry: { paths: string[]; untracked?: boolean }): boolean {
  return entry.paths.length > 0 || entry.untracked === true;
}

/** restore_cache runs when some cache names files (its policy decides later). */
export function cachesToRestore(payload: JobPayload): boolean {
  return (payload.cache ?? []).some(hasFiles);
}

/** archive_cache runs when a cache with files applies to how the job ended. */
export function cachesToSave(payload: JobPayload, succeeded: boolean): boolean {
  return (payload.cache ?? []).some((c) => hasFiles(c) && whenMatches(c.when, succeeded));
}

/** download_artifacts runs when a dependency has an archive. */
export function dependenciesWithArtifacts(payload: JobPayload): boolean {
  return (payload.dependencies ?? []).some((d) => (d.artifacts_file?.filename ?? "") !== "");
}

/** upload_artifacts runs when an archive or report with files applies to how the job ended. */
export function artifactsToUpload(payload: JobPayload, succeeded: boolean): boolean {
  return (payload.artifacts ?? []).some((a) => hasFiles(a) && whenMatches(a.when, succeeded));
}
