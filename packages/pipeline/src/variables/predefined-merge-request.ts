/**
 * `CI_MERGE_REQUEST_*` for merge request pipelines (GitLab's
 * `Builder::Pipeline#predefined_merge_request_variables` and `MergeRequest#predefined_variables`).
 * https://docs.gitlab.com/ci/variables/predefined_variables/#predefined-variables-for-merge-request-pipelines
 */
import type { MergeRequestInfo, PipelineEvent } from "../event.js";
import { compareCodePoints, truncateWithOmission } from "../ruby/strings.js";
import { type PredefinedBuilder, serverBase } from "./predefined-builder.js";

/** GitLab truncates `CI_MERGE_REQUEST_DESCRIPTION` to this many characters (with `...`). */
export const MAX_MERGE_REQUEST_DESCRIPTION = 2700;

/**
 * `CI_MERGE_REQUEST_*` (Builder::Pipeline#predefined_merge_request_variables and
 * MergeRequest#predefined_variables). Variables whose data the event does not carry
 * (`_DIFF_ID`, `_ASSIGNEES`, `_MILESTONE`, `_TARGET_BRANCH_PROTECTED`, `_SQUASH_ON_MERGE`,
 * `_APPROVED`) are left out rather than guessed.
 */
export function mergeRequestVariables(
  b: PredefinedBuilder,
  event: PipelineEvent,
  mr: MergeRequestInfo,
): void {
  const eventType = mr.eventType ?? "detached";
  // Only merged results and merge train pipelines have source/target SHAs; GitLab sets "" otherwise.
  const merged = eventType !== "detached";
  const targetPath = mr.targetProjectPath ?? event.project.path;
  const sourcePath = mr.sourceProjectPath ?? event.project.path;
  const samePath = (path: string) => path === event.project.path;

  b.add("CI_MERGE_REQUEST_EVENT_TYPE", eventType, "pre-pipeline");
  b.add(
    "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
    merged ? (mr.sourceBranchSha ?? "") : "",
    "pre-pipeline",
  );
  b.add(
    "CI_MERGE_REQUEST_TARGET_BRANCH_SHA",
    merged ? (mr.targetBranchSha ?? "") : "",
    "pre-pipeline",
  );
  b.add("CI_MERGE_REQUEST_DIFF_BASE_SHA", mr.diffBaseSha, "pre-pipeline");
  if (mr.id !== undefined) b.add("CI_MERGE_REQUEST_ID", String(mr.id), "pre-pipeline");
  b.add("CI_MERGE_REQUEST_IID", String(mr.iid), "pre-pipeline");
  b.add("CI_MERGE_REQUEST_REF_PATH", `refs/merge-requests/${mr.iid}/head`, "pre-pipeline");
  if (samePath(targetPath))
    b.add("CI_MERGE_REQUEST_PROJECT_ID", String(event.project.id), "pre-pipeline");
  b.add("CI_MERGE_REQUEST_PROJECT_PATH", targetPath, "pre-pipeline");
  b.add("CI_MERGE_REQUEST_PROJECT_URL", `${serverBase(event)}/${targetPath}`, "pre-pipeline");
  b.add("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", mr.targetBranch, "pre-pipeline");
  b.add("CI_MERGE_REQUEST_TITLE", mr.title, "pre-pipeline");
  b.add("CI_MERGE_REQUEST_DRAFT", String(mr.draft ?? isDraftTitle(mr.title)), "pre-pipeline");
  if (mr.description !== undefined) {
    const description = truncateWithOmission(mr.description, MAX_MERGE_REQUEST_DESCRIPTION);
    b.add("CI_MERGE_REQUEST_DESCRIPTION", description, "pre-pipeline");
  }
  const descriptionTruncated =
    mr.description !== undefined &&
    Array.from(mr.description).length > MAX_MERGE_REQUEST_DESCRIPTION;
  b.add("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED", String(descriptionTruncated), "pre-pipeline");
  const labels = [...(mr.labels ?? [])].sort(compareCodePoints);
  if (labels.length > 0) b.add("CI_MERGE_REQUEST_LABELS", labels.join(","), "pre-pipeline");
  if (samePath(sourcePath)) {
    b.add("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", String(event.project.id), "pre-pipeline");
  }
  b.add("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", sourcePath, "pre-pipeline");
  b.add(
    "CI_MERGE_REQUEST_SOURCE_PROJECT_URL",
    `${serverBase(event)}/${sourcePath}`,
    "pre-pipeline",
  );
  b.add("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", mr.sourceBranch, "pre-pipeline");
  // The event's ref is the source branch; its protection is known only in this project.
  if (samePath(sourcePath) && event.ref.protected !== undefined) {
    b.add("CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED", String(event.ref.protected), "pre-pipeline");
  }
}

/**
 * GitLab's draft test on a merge request title (`MergeRequest.draft?`): it starts with
 * `Draft:`, `[Draft]` or `(Draft)`, in any case, with nothing before it. Used when the event
 * does not say.
 */
function isDraftTitle(title: string): boolean {
  return /^(\[draft\]|\(draft\)|draft:)/i.test(title);
}

/** The merge request of a merge request pipeline (GitLab's `Ci::Pipeline#merge_request?`). */
export function mergeRequestOf(event: PipelineEvent): MergeRequestInfo | undefined {
  return event.source === "merge_request_event" ? event.mergeRequest : undefined;
}
