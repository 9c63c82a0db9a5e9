/**
 * Jobs with `environment:` keep the project's environments: a job's pipeline creates its
 * environment (named as the runner sees it, `CI_ENVIRONMENT_NAME`, after expansion; see
 * environments/planned-jobs.ts), the job's start makes sure of it, and the server remembers,
 * durably, which environment the job acts on and how (`environment:action`), so that its end can
 * move the environment (see environments/lifecycle.ts). Docs:
 * https://docs.gitlab.com/ci/environments/ and https://docs.gitlab.com/ci/yaml/#environment.
 */
import { expandVariables, isMap } from "@conveyor/pipeline";
import type { JobPayload } from "@conveyor/protocol";
import { autoStopChange } from "../environments/auto-stop.js";
import { tierOfName } from "../environments/tier.js";
import type { EnvironmentRecord, JobEnvironmentRecord, Store } from "../store/types.js";

/** What a started job says about its environment. */
export interface JobEnvironment {
  name: string;
  slug: string;
  url?: string;
  /** `environment:deployment_tier`; GitLab guesses one from the name without it. */
  tier?: string;
  /** `environment:action`: start (the default), prepare, verify, access or stop. */
  action: string;
  /** `environment:on_stop`: the job of the same pipeline that stops the environment. */
  onStop?: string;
  /** `environment:auto_stop_in`, with the job's variables expanded (docs: "CI/CD variables are supported"). */
  autoStopIn?: string;
}

/**
 * The environment of a job from its payload's variables (the name and URL as expanded for the
 * runner) and its `environment:` keyword (`on_stop`, `auto_stop_in`); undefined without one.
 */
export function jobEnvironmentOf(
  payload: JobPayload,
  keyword: unknown,
): JobEnvironment | undefined {
  const variable = (key: string) => payload.variables.find((v) => v.key === key)?.value;
  const name = variable("CI_ENVIRONMENT_NAME");
  const slug = variable("CI_ENVIRONMENT_SLUG");
  if (!name || !slug) return undefined;
  const url = variable("CI_ENVIRONMENT_URL");
  const tier = variable("CI_ENVIRONMENT_TIER");
  const settings = isMap(keyword) ? keyword : {};
  const onStop = typeof settings.on_stop === "string" ? settings.on_stop : undefined;
  let autoStopIn: string | undefined;
  if (typeof settings.auto_stop_in === "string") {
    try {
      autoStopIn = expandVariables(settings.auto_stop_in, variable);
    } catch {
      autoStopIn = settings.auto_stop_in;
    }
  }
  return {
    name,
    slug,
    action: variable("CI_ENVIRONMENT_ACTION") ?? "start",
    ...(url ? { url } : {}),
    ...(tier ? { tier } : {}),
    ...(onStop ? { onStop } : {}),
    ...(autoStopIn ? { autoStopIn } : {}),
  };
}

/**
 * The job's environment, created when it is new: with the job's tier (or the one GitLab
 * guesses from the name), and, unless the job stops it, the lifetime `auto_stop_in` gives
 * ("When the environment for review_app is created, the environment's lifetime is set",
 * https://docs.gitlab.com/ci/yaml/#environmentauto_stop_in).
 */
export async function environmentOfJob(
  store: Store,
  projectId: number,
  job: JobEnvironment,
  now: number,
): Promise<EnvironmentRecord> {
  const lifetime = job.action === "stop" ? {} : autoStopChange(job.autoStopIn, now);
  return store.environments.ensure(
    {
      projectId,
      name: job.name,
      slug: job.slug,
      tier: job.tier ?? tierOfName(job.name),
      state: "available",
      ...(job.url ? { externalUrl: job.url } : {}),
      ...(lifetime.autoStopAt !== undefined ? { autoStopAt: lifetime.autoStopAt } : {}),
    },
    now,
  );
}

/** Which environment a job acts on, and how. */
export type RememberedEnvironment = JobEnvironmentRecord;

/**
 * Remembers (durably) which environment the job acts on and how: when its pipeline creates it,
 * and again when it starts (a name that only the running job's variables give re-points it).
 */
export async function rememberEnvironment(
  store: Store,
  jobId: number,
  environment: EnvironmentRecord,
  job: Pick<JobEnvironment, "action">,
): Promise<void> {
  await store.jobEnvironments.remember({
    jobId,
    environmentId: environment.id,
    action: job.action,
  });
}

/** What `rememberEnvironment` kept for the job; undefined for a job without an environment. */
export function rememberedEnvironment(
  store: Store,
  jobId: number,
): Promise<RememberedEnvironment | undefined> {
  return store.jobEnvironments.ofJob(jobId);
}
