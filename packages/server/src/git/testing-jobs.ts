/**
 * For the git hosting tests: a job row holding a job token, in a real store. A real server
 * reaches such a row through a pipeline and a runner's claim; the tests only need the row.
 */
import type { JobStatus } from "@conveyor/engine";
import type { JobRecord, ProjectRecord, Store } from "../store/types.js";
import { tokenDigest } from "../util/tokens.js";

/** Stores a pipeline with one job of `status` whose job token is `token`. */
export async function jobWithToken(
  store: Store,
  project: ProjectRecord,
  status: JobStatus,
  token: string,
): Promise<JobRecord> {
  const now = Date.now();
  const sha = "1".repeat(40);
  const pipeline = await store.pipelines.create(
    {
      projectId: project.id,
      ref: project.defaultBranch,
      tag: false,
      sha,
      beforeSha: "0".repeat(40),
      source: "push",
      status: "running",
      event: {
        source: "push",
        ref: { kind: "branch", name: project.defaultBranch },
        commit: { sha },
        project: {
          id: project.id,
          path: project.path,
          serverUrl: "http://conveyor.test",
          defaultBranch: project.defaultBranch,
        },
      },
      plan: { created: true, stages: [], jobs: [], variables: {}, errors: [] },
      createdAt: now,
    },
    now,
  );
  const job: JobRecord = {
    id: (await store.pipelines.maxJobId()) + 1,
    pipelineId: pipeline.id,
    projectId: project.id,
    name: "test",
    stage: "test",
    status,
    attempt: 1,
    retried: false,
    allowFailure: false,
    tags: [],
    timeoutSeconds: 3600,
    tokenDigest: tokenDigest(token),
    cancelGracefully: false,
    createdAt: now,
    updatedAt: now,
  };
  await store.pipelines.recordStep({
    pipelineId: pipeline.id,
    seq: 0,
    event: { type: "start", now },
    newJobs: [job],
    changedJobs: [],
    pipeline: { status: "running", updatedAt: now },
  });
  return job;
}
