/**
 * The port through which trigger tokens, pipeline schedules and inbound push webhooks start a
 * pipeline. The server implements it with its git hosting and `triggerPipeline`; the routes
 * that call it know nothing about repositories, and their tests use a recording fake.
 */
import type { ProjectRecord, UserRecord } from "../store/types.js";

export interface StartRequest {
  /**
   * A branch or tag name (a branch first, else a tag, as GitLab's `ref` parameter resolves), or
   * a full `refs/heads/…` / `refs/tags/…` ref, which names its kind (a push says which it was).
   */
  ref: string;
  source: "trigger" | "schedule" | "push" | "api" | "web";
  /** Variables for this pipeline only (`variables[KEY]` of a trigger, a schedule's variables). */
  variables?: Record<string, string>;
  /** Who the pipeline runs as: the trigger token's or the schedule's owner. */
  user?: UserRecord;
  /** A push's previous commit (`CI_COMMIT_BEFORE_SHA`). */
  beforeSha?: string;
  /** The commit to build; default: the ref's current commit. */
  sha?: string;
}

export type StartOutcome = { pipelineId: number } | { error: string };

export interface PipelineStarter {
  /** Starts a pipeline at `ref` (a branch name first, else a tag), as GitLab's ref parameter resolves. */
  start(project: ProjectRecord, request: StartRequest): Promise<StartOutcome>;
}
