/**
 * Pipeline-level predefined variables: `CI_PIPELINE_*`, `CI_COMMIT_*`, `CI_OPEN_MERGE_REQUESTS`
 * (GitLab's `Gitlab::Ci::Variables::Builder::Pipeline#predefined_variables`), in GitLab's order.
 * https://docs.gitlab.com/ci/variables/predefined_variables/
 */
import type { MergeRequestInfo, PipelineEvent } from "../event.js";
import { byteLength, truncateBytes } from "../ruby/strings.js";
import { commitDescription, commitTitle } from "./commit-message.js";
import type { PredefinedOptions } from "./predefined.js";
import type { PredefinedBuilder } from "./predefined-builder.js";
import { mergeRequestOf, mergeRequestVariables } from "./predefined-merge-request.js";
import { slugify } from "./slug.js";

/** Forty zeros: `CI_COMMIT_BEFORE_SHA` when there is no previous commit. */
export const BLANK_SHA = "0000000000000000000000000000000000000000";

/** GitLab truncates `CI_COMMIT_MESSAGE` (and title, description) to this many bytes. */
export const MAX_COMMIT_MESSAGE_BYTES = 100_000;

/** `CI_PIPELINE_*`, `CI_COMMIT_*`, `CI_MERGE_REQUEST_*` (Builder::Pipeline#predefined_variables). */
export function pipelineVariables(
  b: PredefinedBuilder,
  event: PipelineEvent,
  options: PredefinedOptions,
): void {
  if (event.pipelineIid !== undefined)
    b.add("CI_PIPELINE_IID", String(event.pipelineIid), "pipeline");
  b.add("CI_PIPELINE_SOURCE", event.source, "pre-pipeline");
  b.add("CI_PIPELINE_CREATED_AT", event.createdAt, "pre-pipeline");
  b.add("CI_PIPELINE_NAME", options.pipelineName, "pre-pipeline");
  if (event.source === "schedule") {
    b.add("CI_PIPELINE_SCHEDULE_DESCRIPTION", options.scheduleDescription, "pre-pipeline");
  }
  const mergeRequest = mergeRequestOf(event);
  if (event.commit.sha) commitVariables(b, event, mergeRequest);
  if (!mergeRequest && event.ref.kind === "tag") {
    b.add("CI_COMMIT_TAG", event.ref.name, "pre-pipeline");
    b.add("CI_COMMIT_TAG_MESSAGE", options.tagMessage, "pre-pipeline");
  }
  if (mergeRequest) mergeRequestVariables(b, event, mergeRequest);
  const open = options.openMergeRequests ?? [];
  if (open.length > 0) b.add("CI_OPEN_MERGE_REQUESTS", open.join(","), "pre-pipeline");
}

function commitVariables(
  b: PredefinedBuilder,
  event: PipelineEvent,
  mergeRequest: MergeRequestInfo | undefined,
): void {
  const commit = event.commit;
  // For a merge request pipeline the ref is the source branch (Ci::Pipeline#source_ref).
  const refName = mergeRequest ? mergeRequest.sourceBranch : event.ref.name;
  const message = commit.message ?? "";
  const truncated = byteLength(message) > MAX_COMMIT_MESSAGE_BYTES;
  const cut = (text: string): string =>
    truncated ? truncateBytes(text, MAX_COMMIT_MESSAGE_BYTES) : text;
  // Docs: always forty zeros for merge request pipelines.
  const beforeSha = mergeRequest ? BLANK_SHA : (commit.beforeSha ?? BLANK_SHA);

  b.add("CI_COMMIT_SHA", commit.sha, "pre-pipeline");
  b.add("CI_COMMIT_SHORT_SHA", commit.sha.slice(0, 8), "pre-pipeline");
  b.add("CI_COMMIT_BEFORE_SHA", beforeSha, "pre-pipeline");
  b.add("CI_COMMIT_REF_NAME", refName, "pre-pipeline");
  b.add("CI_COMMIT_REF_SLUG", slugify(refName), "pre-pipeline");
  if (!mergeRequest && event.ref.kind === "branch") {
    b.add("CI_COMMIT_BRANCH", event.ref.name, "pre-pipeline");
  }
  b.add("CI_COMMIT_MESSAGE", cut(message), "pre-pipeline");
  b.add("CI_COMMIT_MESSAGE_IS_TRUNCATED", String(truncated), "pre-pipeline");
  b.add("CI_COMMIT_TITLE", cut(commit.title ?? commitTitle(message)), "pre-pipeline");
  b.add(
    "CI_COMMIT_DESCRIPTION",
    cut(commit.description ?? commitDescription(message)),
    "pre-pipeline",
  );
  b.add("CI_COMMIT_REF_PROTECTED", String(event.ref.protected === true), "pre-pipeline");
  b.add("CI_COMMIT_TIMESTAMP", commit.timestamp ?? "", "pre-pipeline");
  const author =
    commit.authorName !== undefined && commit.authorEmail !== undefined
      ? `${commit.authorName} <${commit.authorEmail}>`
      : "";
  b.add("CI_COMMIT_AUTHOR", author, "pre-pipeline");
}
