/**
 * What a job fetches on this machine. GitLab's refspecs name the pipeline's branch or tag, which
 * exists on the server; `conveyor run --branch X` may name a branch this repository does not
 * have (to see how the pipeline behaves for it). Then the job fetches the commit itself under
 * that ref's name, so that checkout, `CI_COMMIT_REF_NAME` and the rest stay as GitLab gives them.
 */
import type { PipelineEvent } from "@conveyor/pipeline";
import { gitAsync } from "../git.js";

/** The ref a job of this event fetches into (as the runner names it). */
function localRefOf(event: PipelineEvent): string {
  return event.ref.kind === "tag"
    ? `refs/tags/${event.ref.name}`
    : `refs/remotes/origin/${event.ref.name}`;
}

/**
 * Refspecs that replace the payload's, or undefined when the repository has the event's ref
 * (GitLab's refspecs then work as they are).
 */
export async function localRefspecs(
  repoDir: string,
  event: PipelineEvent,
): Promise<string[] | undefined> {
  const source =
    event.ref.kind === "tag" ? `refs/tags/${event.ref.name}` : `refs/heads/${event.ref.name}`;
  if ((await gitAsync(repoDir, ["rev-parse", "-q", "--verify", source])) !== undefined) {
    return undefined;
  }
  return [`+${event.commit.sha}:${localRefOf(event)}`];
}
