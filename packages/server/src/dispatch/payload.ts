/**
 * The JobPayload a runner receives for a job it claimed (runner protocol §3): the engine's
 * payload of the planned job, plus what only the server knows — the clone URL with the job's
 * token, the artifacts of the jobs it depends on (downloaded with its own token, §2.12) and
 * their dotenv variables, the project's and instance's CI/CD variables, the runner's timeout cap.
 */
import { buildJobPayload, type JobAttempt, type PayloadDependency } from "@conveyor/engine";
import type { JobPayload, JobVariable } from "@conveyor/protocol";
import { readDotenvReport } from "@conveyor/runner";
import type { FileBlobs } from "../blobs/file-blobs.js";
import type { PipelineHost } from "../pipelines/pipeline-host.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { JobRecord, RunnerRecord, Store, VariableRecord } from "../store/types.js";

export interface PayloadContext {
  store: Store;
  blobs: FileBlobs;
  secrets: SecretBox;
  /** The server's base URL as runners reach it, e.g. `http://127.0.0.1:8080`. */
  serverUrl: string;
}

export async function payloadFor(
  context: PayloadContext,
  host: PipelineHost,
  job: JobRecord,
  runner: RunnerRecord,
  token: string,
): Promise<JobPayload> {
  const attempt = attemptOf(host, job.id);
  const timeoutSeconds =
    runner.maximumTimeout !== undefined
      ? Math.min(attempt.timeoutSeconds, runner.maximumTimeout)
      : attempt.timeoutSeconds;
  const dependencies = await dependenciesOf(context, host, job.id, token);
  const repoUrl = cloneUrl(context.serverUrl, host.record.event.project.path, token);
  return scopedPayload(context, host, attempt, { token, repoUrl, timeoutSeconds, dependencies });
}

/**
 * The payload of a job as its pipeline creates it: no token, no runner, no artifacts of the jobs
 * before it. What it says of the job's environment is what GitLab persists then (the name is
 * expanded when the pipeline is created, Environments::CreateForJobService); payloadFor says it
 * again, the same way, when a runner takes the job.
 */
export async function plannedPayload(
  context: PayloadContext,
  host: PipelineHost,
  jobId: number,
): Promise<JobPayload> {
  const attempt = attemptOf(host, jobId);
  // Nothing is sent: no clone URL (the server's own URL may not be known yet, at its start).
  return scopedPayload(context, host, attempt, {
    token: "",
    repoUrl: "",
    timeoutSeconds: attempt.timeoutSeconds,
    dependencies: [],
  });
}

function attemptOf(host: PipelineHost, jobId: number): JobAttempt {
  const attempt = host.attempt(jobId);
  if (!attempt) throw new Error(`job ${jobId} is not part of pipeline ${host.id}`);
  return attempt;
}

/** The engine's payload with the stored variables the job sees, scoped to its environment. */
async function scopedPayload(
  context: PayloadContext,
  host: PipelineHost,
  attempt: JobAttempt,
  inputs: {
    token: string;
    repoUrl: string;
    timeoutSeconds: number;
    dependencies: PayloadDependency[];
  },
): Promise<JobPayload> {
  const event = host.record.event;
  const stored = await storedVariables(
    context,
    host.record.projectId,
    event.ref.protected === true,
  );
  const build = (environment: string | undefined) =>
    buildJobPayload({
      event,
      job: attempt.job,
      jobId: attempt.id,
      token: inputs.token,
      repoUrl: inputs.repoUrl,
      timeoutSeconds: inputs.timeoutSeconds,
      dependencies: inputs.dependencies,
      secrets: secretsFor(context, stored, environment),
    });
  const first = build(undefined);
  // A job with an environment sees the variables scoped to it: its name is known once the
  // payload's variables are expanded, so the payload is built again with them.
  const environment = first.variables.find((v) => v.key === "CI_ENVIRONMENT_NAME")?.value;
  return environment && stored.some((v) => scopeMatches(v.environmentScope, environment))
    ? build(environment)
    : first;
}

/**
 * Whether a variable's environment scope applies to a job's environment (docs: ci/environments,
 * "Limit the environment scope of a CI/CD variable"): `*` to every job, a name to that
 * environment, and `*` inside a scope matches any characters (`review/*`).
 */
export function scopeMatches(scope: string, environment: string | undefined): boolean {
  if (scope === "*" || scope === "") return true;
  if (environment === undefined) return false;
  if (!scope.includes("*")) return scope === environment;
  const pattern = scope.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${pattern.join(".*")}$`).test(environment);
}

/** GitLab's clone URL for a job: the job token as the password of `gitlab-ci-token`. */
export function cloneUrl(serverUrl: string, projectPath: string, token: string): string {
  const url = new URL(`${serverUrl.replace(/\/+$/, "")}/${projectPath}.git`);
  url.username = "gitlab-ci-token";
  url.password = token;
  return url.toString();
}

async function dependenciesOf(
  context: PayloadContext,
  host: PipelineHost,
  jobId: number,
  token: string,
): Promise<PayloadDependency[]> {
  const out: PayloadDependency[] = [];
  for (const source of host.artifactSources(jobId)) {
    const stored = await context.store.artifacts.ofJob(source.id);
    const archive = stored.find((artifact) => artifact.fileType === "archive");
    const dotenv = stored.find((artifact) => artifact.fileType === "dotenv");
    const dependency: PayloadDependency = { id: source.id, name: source.name, token };
    if (archive) dependency.artifacts_file = { filename: archive.filename, size: archive.size };
    if (dotenv) {
      const report = await readDotenvReport(context.blobs.path(dotenv.blobKey));
      if (report.variables.length > 0) dependency.dotenv = report.variables;
    }
    out.push(dependency);
  }
  return out;
}

/** Instance variables, then the project's; protected ones only for protected refs. */
async function storedVariables(
  context: PayloadContext,
  projectId: number,
  protectedRef: boolean,
): Promise<VariableRecord[]> {
  const [instance, project] = await Promise.all([
    context.store.variables.list(),
    context.store.variables.list(projectId),
  ]);
  return [...instance, ...project].filter((variable) => protectedRef || !variable.protected);
}

/**
 * The variables a job with `environment` sees (docs: ci/variables, "Protect a CI/CD variable"
 * and "Limit the environment scope"): of several with one key, the project's beat the
 * instance's, and a scope naming the environment beats a wildcard, which beats `*`.
 */
function secretsFor(
  context: PayloadContext,
  stored: VariableRecord[],
  environment: string | undefined,
): JobVariable[] {
  const specificity = (scope: string) =>
    scope === "*" || scope === "" ? 0 : scope.includes("*") ? 1 : 2;
  const chosen = new Map<string, VariableRecord>();
  for (const variable of stored) {
    if (!scopeMatches(variable.environmentScope, environment)) continue;
    const current = chosen.get(variable.key);
    const wins =
      !current ||
      (variable.projectId !== undefined && current.projectId === undefined) ||
      (variable.projectId === current.projectId &&
        specificity(variable.environmentScope) > specificity(current.environmentScope));
    if (wins) chosen.set(variable.key, variable);
  }
  return [...chosen.values()].map((variable) => ({
    key: variable.key,
    value: context.secrets.open(variable.valueCiphertext),
    public: false,
    masked: variable.masked,
    ...(variable.variableType === "file" ? { file: true } : {}),
    ...(variable.raw ? { raw: true } : {}),
  }));
}
