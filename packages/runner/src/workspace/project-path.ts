/**
 * Where a job's sources live under its builds dir: `<builds dir>/<namespace>/<project>`, the
 * project's full path, as gitlab-runner lays out build directories (`common/build.go`
 * `ProjectUniqueDir`: the path of the repository URL without `.git`, else `project-<id>`).
 * Pure.
 */
import type { JobPayload } from "@conveyor/protocol";

/** Path segments that are safe as directory names (no `..`, no empties). */
function cleanSegments(path: string): string[] | undefined {
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0 || segments.some((s) => s === ".." || s.includes("\\"))) {
    return undefined;
  }
  return segments;
}

/** The path of an http(s)/ssh URL's repository, without `.git` (runner `ProjectSlug`). */
function urlSlug(repoUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return undefined;
  }
  if (url.host === "") return undefined;
  return decodeURIComponent(url.pathname).replace(/\.git$/, "");
}

/** The project's directory relative to the builds dir, e.g. `group/project`. */
export function projectPathOf(payload: JobPayload): string {
  for (const candidate of [
    payload.job_info.project_full_path,
    urlSlug(payload.git_info.repo_url),
  ]) {
    if (!candidate) continue;
    const segments = cleanSegments(candidate);
    if (segments) return segments.join("/");
  }
  return `project-${payload.job_info.project_id}`;
}
