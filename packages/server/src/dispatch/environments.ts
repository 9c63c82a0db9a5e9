/**
 * Jobs with `environment:` keep the project's environments: a job that starts creates its
 * environment (named as the runner sees it, `CI_ENVIRONMENT_NAME`, after expansion), and a
 * deployment job that succeeds becomes the environment's last deployment (docs:
 * ci/environments). `action: stop` stops it.
 */
import type { JobPayload } from "@conveyor/protocol";
import type { EnvironmentRecord, Store } from "../store/types.js";

function variable(payload: JobPayload, key: string): string | undefined {
  return payload.variables.find((v) => v.key === key)?.value;
}

/** The job's environment, created when it is new; undefined for a job without one. */
export async function environmentOfJob(
  store: Store,
  projectId: number,
  payload: JobPayload,
  now: number,
): Promise<EnvironmentRecord | undefined> {
  const name = variable(payload, "CI_ENVIRONMENT_NAME");
  const slug = variable(payload, "CI_ENVIRONMENT_SLUG");
  if (!name || !slug) return undefined;
  const url = variable(payload, "CI_ENVIRONMENT_URL");
  return store.environments.ensure(
    {
      projectId,
      name,
      slug,
      tier: variable(payload, "CI_ENVIRONMENT_TIER") ?? "other",
      state: "available",
      ...(url ? { externalUrl: url } : {}),
    },
    now,
  );
}

const settingKey = (jobId: number) => `job-environment:${jobId}`;

/** Remembers (durably) which environment a started job deploys to and how. */
export async function rememberDeployment(
  store: Store,
  jobId: number,
  environment: EnvironmentRecord,
  payload: JobPayload,
): Promise<void> {
  const action = variable(payload, "CI_ENVIRONMENT_ACTION") ?? "start";
  await store.settings.set(
    settingKey(jobId),
    JSON.stringify({ environmentId: environment.id, action }),
  );
}

/** After a job finished with `state`: a successful deployment updates its environment. */
export async function recordDeployment(
  store: Store,
  jobId: number,
  state: "success" | "failed",
  now: number,
): Promise<void> {
  const remembered = await store.settings.get(settingKey(jobId));
  if (remembered === undefined || state !== "success") return;
  const { environmentId, action } = JSON.parse(remembered) as {
    environmentId: number;
    action: string;
  };
  const environment = await store.environments.byId(environmentId);
  if (!environment) return;
  if (action === "stop") {
    await store.environments.update(environment.id, { state: "stopped" }, now);
  } else if (action === "start") {
    await store.environments.update(
      environment.id,
      { state: "available", lastDeploymentJobId: jobId },
      now,
    );
  }
}
