/**
 * The JobPayload a runner receives for a job it claimed (runner protocol §3): the engine's
 * payload of the planned job, plus what only the server knows — the clone URL with the job's
 * token, the artifacts of the jobs it depends on (downloaded with its own token, §2.12) and
 * their dotenv variables, the project's and instance's CI/CD variables, the runner's timeout cap.
 */
import { buildJobPayload, type PayloadDependency } from "@conveyor/engine";
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
  const attempt = host.attempt(job.id);
  if (!attempt) throw new Error(`job ${job.id} is not part of pipeline ${host.id}`);
  const event = host.record.event;
  const timeoutSeconds =
    runner.maximumTimeout !== undefined
      ? Math.min(attempt.timeoutSeconds, runner.maximumTimeout)
      : attempt.timeoutSeconds;
  return buildJobPayload({
    event,
    job: attempt.job,
    jobId: job.id,
    token,
    repoUrl: cloneUrl(context.serverUrl, event.project.path, token),
    timeoutSeconds,
    dependencies: await dependenciesOf(context, host, job.id, token),
    secrets: await secretsFor(context, job.projectId, event.ref.protected === true),
  });
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

/**
 * Instance variables, then the project's (which win on the same key). Protected variables
 * reach only pipelines of protected refs (docs: ci/variables, "Protect a CI/CD variable").
 */
async function secretsFor(
  context: PayloadContext,
  projectId: number,
  protectedRef: boolean,
): Promise<JobVariable[]> {
  const [instance, project] = await Promise.all([
    context.store.variables.list(),
    context.store.variables.list(projectId),
  ]);
  const visible = (variable: VariableRecord) =>
    (protectedRef || !variable.protected) &&
    (variable.environmentScope === "*" || variable.environmentScope === "");
  return [...instance, ...project].filter(visible).map((variable) => ({
    key: variable.key,
    value: context.secrets.open(variable.valueCiphertext),
    public: false,
    masked: variable.masked,
    ...(variable.variableType === "file" ? { file: true } : {}),
    ...(variable.raw ? { raw: true } : {}),
  }));
}
