/**
 * The tests' view of the Docker engine: connect with a clear failure (never a skip, never a hang)
 * when no engine answers, list what a session or test left labelled, and build job payloads.
 */
import type Docker from "dockerode";
import DockerClient from "dockerode";
import type { JobPayload } from "@conveyor/protocol";
import { LABELS } from "../convert.js";
import { EngineApi, engineMessage } from "../engine-api.js";

/** The engine at DOCKER_HOST or /var/run/docker.sock; throws a clear error when none answers. */
export async function connectTestEngine(): Promise<Docker> {
  const docker = new DockerClient();
  const where = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  try {
    await new EngineApi(docker).ping(5_000);
  } catch (error) {
    throw new Error(
      `The Docker executor's tests need a Docker engine, and none answers at ${where} ` +
        `(${engineMessage(error)}). Start one: apt-get install docker.io busybox-static && ` +
        `scripts/ci/start-docker.sh (see packages/executor-docker/README.md).`,
    );
  }
  return docker;
}

/** Which of Conveyor's resources: one session's, one job's, or one process's (`ownerPid`). */
export interface ResourceFilter {
  sessionId?: string;
  jobId?: number;
  ownerPid?: number;
}

function labelFilter(only: ResourceFilter): string[] {
  const filter = [`${LABELS.managed}=true`];
  if (only.sessionId) filter.push(`${LABELS.session}=${only.sessionId}`);
  if (only.jobId !== undefined) filter.push(`${LABELS.jobId}=${only.jobId}`);
  if (only.ownerPid !== undefined) filter.push(`${LABELS.ownerPid}=${only.ownerPid}`);
  return filter;
}

/** Conveyor-managed containers and networks, optionally only those the filter names. */
export async function labelledResources(
  docker: Docker,
  only: ResourceFilter = {},
): Promise<{ containers: string[]; networks: string[] }> {
  const api = new EngineApi(docker);
  const filter = labelFilter(only);
  const containers = await api.listContainers(filter);
  const networks = await api.listNetworks(filter);
  return { containers: containers.map((c) => c.id), networks: networks.map((n) => n.id) };
}

/** Removes what a failed test left behind (the tests assert there is nothing). */
export async function removeLabelledResources(docker: Docker, only: ResourceFilter): Promise<void> {
  const label = labelFilter(only);
  for (const c of await docker.listContainers({ all: true, filters: { label } })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
  for (const n of await docker.listNetworks({ filters: { label } })) {
    await docker.getNetwork(n.Id).remove();
  }
}

let nextJobId = 900_000 + (process.pid % 10_000) * 10;

/** A minimal job payload for executor tests; fields given override the defaults. */
export function testPayload(overrides: Partial<JobPayload> = {}): JobPayload {
  const id = nextJobId++;
  return {
    id,
    token: "test-job-token",
    allow_git_fetch: false,
    job_info: {
      id,
      name: "docker-test",
      stage: "test",
      pipeline_id: 1,
      project_id: 1,
      project_name: "conveyor",
    },
    git_info: {
      repo_url: "",
      ref: "main",
      sha: "0000000000000000000000000000000000000000",
      before_sha: "0000000000000000000000000000000000000000",
      ref_type: "branch",
      refspecs: [],
      depth: 0,
    },
    runner_info: { timeout: 3600 },
    variables: [],
    steps: [],
    ...overrides,
  };
}
