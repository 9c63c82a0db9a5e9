/**
 * Who calls a deploy route and with which role on the project: a person with a personal access
 * token (`PRIVATE-TOKEN` or `Authorization: Bearer`), or a CI job with its job token
 * (`JOB-TOKEN: $CI_JOB_TOKEN`, docs: ci/jobs/ci_job_token,
 * https://docs.gitlab.com/ci/jobs/ci_job_token/). As in git hosting, a job token authenticates
 * only while its job is `running`, only for the job's own project, and acts with the role of the
 * user who started the pipeline (Developer when no user started it). Answers follow
 * project-access.ts: 401 without valid credentials, 404 for a project the caller cannot see,
 * 403 for an action above the caller's role.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  ACCESS_LEVELS,
  type JobRecord,
  type PipelineRecord,
  type ProjectRecord,
  type Store,
  type UserRecord,
} from "../store/types.js";
import { accessLevelOf, readsCode } from "../store/access-level.js";
import { userOf } from "../http/auth.js";
import { sendError } from "../http/project-access.js";
import { tokenDigest } from "../util/tokens.js";

export interface DeployCaller {
  project: ProjectRecord;
  /** The person: the token's owner, or the user who started the job's pipeline. */
  user?: UserRecord;
  /** Set when a job token authenticated the request. */
  job?: JobRecord;
  pipeline?: PipelineRecord;
  level: number;
}

export type ProjectRequest = FastifyRequest<{ Params: { id: string } }>;

export interface DeployAccess {
  /** The caller on the project named by `:id` with at least `level`, or undefined after answering. */
  project(
    request: ProjectRequest,
    reply: FastifyReply,
    level: number,
    options?: { jobToken?: boolean },
  ): Promise<DeployCaller | undefined>;
}

export function deployAccess(store: Store, clock: () => number): DeployAccess {
  const projectNamed = (id: string) =>
    /^\d+$/.test(id)
      ? store.projects.byId(Number(id))
      : store.projects.byPath(decodeURIComponent(id));

  return {
    async project(request, reply, level, options = {}) {
      const jobToken = request.headers["job-token"];
      if (typeof jobToken === "string" && jobToken !== "" && options.jobToken !== false) {
        const job = await store.jobs.byTokenDigest(tokenDigest(jobToken));
        if (!job || job.status !== "running") {
          sendError(reply, 401, "401 Unauthorized");
          return undefined;
        }
        const project = await projectNamed(request.params.id);
        if (!project || project.id !== job.projectId) {
          sendError(reply, 404, "404 Project Not Found");
          return undefined;
        }
        const pipeline = await store.pipelines.byId(job.pipelineId);
        const user =
          pipeline?.userId !== undefined ? await store.users.byId(pipeline.userId) : undefined;
        const granted = user ? await accessLevelOf(store, project, user) : ACCESS_LEVELS.developer;
        if (granted < level) {
          sendError(reply, 403, "403 Forbidden");
          return undefined;
        }
        return {
          project,
          job,
          level: granted,
          ...(user ? { user } : {}),
          ...(pipeline ? { pipeline } : {}),
        };
      }
      const user = await userOf(store, request, clock());
      if (!user) {
        sendError(reply, 401, "401 Unauthorized");
        return undefined;
      }
      const project = await projectNamed(request.params.id);
      const granted = project ? await accessLevelOf(store, project, user) : 0;
      if (!project || !readsCode(project, granted, true)) {
        sendError(reply, 404, "404 Project Not Found");
        return undefined;
      }
      if (granted < level) {
        sendError(reply, 403, "403 Forbidden");
        return undefined;
      }
      return { project, user, level: granted };
    },
  };
}
