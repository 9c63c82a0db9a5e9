/**
 * `POST /api/v4/jobs/request` behind the HTTP layer: find a queued job this runner may take,
 * claim it durably (one runner only, recorded before the payload leaves), and build its
 * payload. When nothing matches and the runner already saw the current queue version, the
 * request is held until a job is queued or the hold ends (long polling, protocol §2.7): a
 * waiting runner gets a new job within milliseconds instead of at its next poll.
 */
import type { JobPayload } from "@conveyor/protocol";
import type { Coordinator } from "../pipelines/coordinator.js";
import type { JobRecord, RunnerRecord } from "../store/types.js";
import { newToken, tokenDigest } from "../util/tokens.js";
import { startJobDeployment } from "../deploy/job-deployments.js";
import { environmentOfJob, jobEnvironmentOf, rememberEnvironment } from "./environments.js";
import { type PayloadContext, payloadFor } from "./payload.js";
import { runnerMatches } from "./runner-match.js";

export interface JobRequestOptions {
  coordinator: Coordinator;
  payloads: PayloadContext;
  /** How long a request may be held (GitLab.com holds 50 s). */
  holdMs: number;
  /** Queue entries looked at per attempt (GitLab scans 45). */
  scanDepth?: number;
  /** The server's clock (records' times); default `Date.now`. Holds always use real time. */
  clock?: () => number;
}

export interface JobRequestAnswer {
  payload?: JobPayload;
  /** The job the payload is for. */
  job?: JobRecord;
  /** `X-GitLab-Last-Update` for the answer. */
  version: string;
}

export interface RunnerFeatures {
  cancelGracefully: boolean;
}

export class JobRequests {
  private readonly clock: () => number;

  constructor(private readonly options: JobRequestOptions) {
    this.clock = options.clock ?? (() => Date.now());
  }

  async request(
    runner: RunnerRecord,
    lastUpdate: string | undefined,
    features: RunnerFeatures,
    signal?: AbortSignal,
  ): Promise<JobRequestAnswer> {
    const queue = this.options.coordinator.signal;
    const deadline = Date.now() + this.options.holdMs;
    let seen = lastUpdate;
    for (;;) {
      const version = queue.version;
      const { assigned, passed } = await this.assign(runner, features);
      if (assigned) return { ...assigned, version: queue.version };
      // Jobs wait that this runner may not take: another held runner may.
      if (passed) queue.passOn();
      // GitLab holds only a runner that already saw this version (Workhorse); a first request
      // learns the version at once.
      if (seen !== version) return { version };
      const changed = await queue.changed(version, deadline - Date.now(), signal);
      if (!changed) return { version: queue.version };
      seen = queue.version;
    }
  }

  /** Claims the first queued job the runner may take and builds its payload. */
  private async assign(
    runner: RunnerRecord,
    features: RunnerFeatures,
  ): Promise<{ assigned?: { payload: JobPayload; job: JobRecord }; passed: boolean }> {
    const { coordinator, payloads } = this.options;
    const queued = await payloads.store.jobs.queue(this.options.scanDepth ?? 45);
    let passed = false;
    for (const job of queued) {
      const host = coordinator.host(job.pipelineId);
      if (!host) continue;
      const protectedRef = host.record.event.ref.protected === true;
      if (!runnerMatches(runner, job, protectedRef)) {
        passed = true;
        continue;
      }
      const token = newToken("job");
      const claimed = await coordinator.claim(job, {
        jobId: job.id,
        runnerId: runner.id,
        tokenDigest: tokenDigest(token),
        cancelGracefully: features.cancelGracefully,
      });
      if (!claimed) continue;
      try {
        const payload = await payloadFor(payloads, host, job, runner, token);
        const jobEnvironment = jobEnvironmentOf(
          payload,
          host.attempt(job.id)?.job.definition.environment,
        );
        if (jobEnvironment) {
          const now = this.clock();
          const environment = await environmentOfJob(
            payloads.store,
            job.projectId,
            jobEnvironment,
            now,
          );
          await rememberEnvironment(payloads.store, job.id, environment, jobEnvironment);
          await startJobDeployment(
            payloads.store,
            job,
            host.record,
            environment,
            jobEnvironment,
            now,
          );
        }
        return { assigned: { payload, job }, passed };
      } catch (error) {
        await this.failUnsent(job);
        throw error;
      }
    }
    return { passed };
  }

  /** The job was claimed but its payload could not be built: it fails rather than hang. */
  private async failUnsent(job: JobRecord): Promise<void> {
    await this.options.coordinator.finish(job, {
      state: "failed",
      failure_reason: "unknown_failure",
    });
  }
}
