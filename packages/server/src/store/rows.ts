/**
 * Rows to records, shared by the SQLite and PostgreSQL stores: both schemas use the same
 * snake_case column names, JSON in text columns, and epoch milliseconds in integer columns.
 * The drivers differ only in how they hand values back (SQLite booleans are 0/1), which the
 * helpers here absorb. A NULL column becomes an absent optional field, never `undefined`.
 */
import type { EngineEvent } from "@conveyor/engine";
import type {
  AccessTokenRecord,
  ArtifactRecord,
  ClusterRecord,
  DeploymentRecord,
  EnvironmentRecord,
  InboundHookRecord,
  JobEnvironmentRecord,
  JobRecord,
  MemberRecord,
  NewDeployment,
  PipelineRecord,
  ProjectRecord,
  ResourceSetRecord,
  ResourceSetVersionRecord,
  RunnerRecord,
  ScheduleRecord,
  TriggerTokenRecord,
  UserRecord,
  VariableRecord,
} from "./types.js";

export type Row = Record<string, unknown>;

function num(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

function str(value: unknown): string {
  return String(value);
}

function bool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n;
}

function json<T>(value: unknown): T {
  return JSON.parse(String(value)) as T;
}

/** Adds the optional fields whose column is not NULL. */
function withOptional<T extends object>(record: T, optional: Record<string, unknown>): T {
  const out = record as Record<string, unknown>;
  for (const [key, value] of Object.entries(optional)) {
    if (value !== null && value !== undefined) out[key] = value;
  }
  return record;
}

function optNum(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : num(value);
}

function optStr(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : str(value);
}

/** SQL NULL for an absent value. */
export function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

export function userFrom(row: Row): UserRecord {
  return {
    id: num(row.id),
    username: str(row.username),
    name: str(row.name),
    email: str(row.email),
    admin: bool(row.admin),
    createdAt: num(row.created_at),
  };
}

export function accessTokenFrom(row: Row): AccessTokenRecord {
  return withOptional<AccessTokenRecord>(
    {
      id: num(row.id),
      userId: num(row.user_id),
      name: str(row.name),
      digest: str(row.digest),
      scopes: json<string[]>(row.scopes),
      revoked: bool(row.revoked),
      createdAt: num(row.created_at),
    },
    { expiresAt: optNum(row.expires_at) },
  );
}

export function projectFrom(row: Row): ProjectRecord {
  return {
    id: num(row.id),
    path: str(row.path),
    name: str(row.name),
    description: str(row.description),
    defaultBranch: str(row.default_branch),
    visibility: str(row.visibility) as ProjectRecord["visibility"],
    createdAt: num(row.created_at),
  };
}

export function memberFrom(row: Row): MemberRecord {
  return {
    projectId: num(row.project_id),
    userId: num(row.user_id),
    accessLevel: num(row.access_level),
  };
}

/** `projectIds` come from the runner_projects rows, in the order they were given. */
export function runnerFrom(row: Row, projectIds: number[]): RunnerRecord {
  return withOptional<RunnerRecord>(
    {
      id: num(row.id),
      tokenDigest: str(row.token_digest),
      description: str(row.description),
      tags: json<string[]>(row.tags),
      runUntagged: bool(row.run_untagged),
      locked: bool(row.locked),
      paused: bool(row.paused),
      runnerType: str(row.runner_type) as RunnerRecord["runnerType"],
      projectIds,
      accessLevel: str(row.access_level) as RunnerRecord["accessLevel"],
      createdAt: num(row.created_at),
    },
    {
      maximumTimeout: optNum(row.maximum_timeout),
      contactedAt: optNum(row.contacted_at),
      info: row.info === null || row.info === undefined ? undefined : json(row.info),
    },
  );
}

export function pipelineFrom(row: Row): PipelineRecord {
  return withOptional<PipelineRecord>(
    {
      id: num(row.id),
      projectId: num(row.project_id),
      iid: num(row.iid),
      ref: str(row.ref),
      tag: bool(row.tag),
      sha: str(row.sha),
      beforeSha: str(row.before_sha),
      source: str(row.source),
      status: str(row.status) as PipelineRecord["status"],
      event: json(row.event),
      plan: json(row.plan),
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
    },
    {
      userId: optNum(row.user_id),
      startedAt: optNum(row.started_at),
      finishedAt: optNum(row.finished_at),
    },
  );
}

export function eventFrom(row: Row): EngineEvent {
  return json<EngineEvent>(row.event);
}

export function jobFrom(row: Row): JobRecord {
  return withOptional<JobRecord>(
    {
      id: num(row.id),
      pipelineId: num(row.pipeline_id),
      projectId: num(row.project_id),
      name: str(row.name),
      stage: str(row.stage),
      status: str(row.status) as JobRecord["status"],
      attempt: num(row.attempt),
      retried: bool(row.retried),
      allowFailure: bool(row.allow_failure),
      tags: json<string[]>(row.tags),
      timeoutSeconds: num(row.timeout_seconds),
      cancelGracefully: bool(row.cancel_gracefully),
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
    },
    {
      failureReason: optStr(row.failure_reason),
      exitCode: optNum(row.exit_code),
      runnerId: optNum(row.runner_id),
      tokenDigest: optStr(row.token_digest),
      queuedAt: optNum(row.queued_at),
      startedAt: optNum(row.started_at),
      finishedAt: optNum(row.finished_at),
    },
  );
}

export function artifactFrom(row: Row): ArtifactRecord {
  return withOptional<ArtifactRecord>(
    {
      id: num(row.id),
      jobId: num(row.job_id),
      fileType: str(row.file_type),
      fileFormat: str(row.file_format),
      filename: str(row.filename),
      size: num(row.size),
      sha256: str(row.sha256),
      blobKey: str(row.blob_key),
      createdAt: num(row.created_at),
    },
    { expireAt: optNum(row.expire_at) },
  );
}

export function variableFrom(row: Row): VariableRecord {
  return withOptional<VariableRecord>(
    {
      id: num(row.id),
      key: str(row.key),
      valueCiphertext: str(row.value_ciphertext),
      variableType: str(row.variable_type) as VariableRecord["variableType"],
      masked: bool(row.masked),
      protected: bool(row.protected),
      raw: bool(row.raw),
      environmentScope: str(row.environment_scope),
    },
    { projectId: optNum(row.project_id), description: optStr(row.description) },
  );
}

export function triggerFrom(row: Row): TriggerTokenRecord {
  return withOptional<TriggerTokenRecord>(
    {
      id: num(row.id),
      projectId: num(row.project_id),
      ownerId: num(row.owner_id),
      description: str(row.description),
      digest: str(row.digest),
      hint: str(row.hint),
      createdAt: num(row.created_at),
    },
    { lastUsedAt: optNum(row.last_used_at) },
  );
}

export function scheduleFrom(row: Row): ScheduleRecord {
  return withOptional<ScheduleRecord>(
    {
      id: num(row.id),
      projectId: num(row.project_id),
      ownerId: num(row.owner_id),
      description: str(row.description),
      ref: str(row.ref),
      cron: str(row.cron),
      cronTimezone: str(row.cron_timezone),
      active: bool(row.active),
      variables: json<ScheduleRecord["variables"]>(row.variables),
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
    },
    { nextRunAt: optNum(row.next_run_at), lastPipelineId: optNum(row.last_pipeline_id) },
  );
}

export function hookFrom(row: Row): InboundHookRecord {
  return {
    id: num(row.id),
    projectId: num(row.project_id),
    provider: str(row.provider) as InboundHookRecord["provider"],
    secretCiphertext: str(row.secret_ciphertext),
    cloneUrl: str(row.clone_url),
    createdAt: num(row.created_at),
  };
}

export function environmentFrom(row: Row): EnvironmentRecord {
  return withOptional<EnvironmentRecord>(
    {
      id: num(row.id),
      projectId: num(row.project_id),
      name: str(row.name),
      slug: str(row.slug),
      tier: str(row.tier),
      state: str(row.state) as EnvironmentRecord["state"],
      impersonate: bool(row.impersonate),
      protected: bool(row.protected),
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
    },
    {
      externalUrl: optStr(row.external_url),
      lastDeploymentJobId: optNum(row.last_deployment_job_id),
      autoStopAt: optNum(row.auto_stop_at),
      clusterId: optNum(row.cluster_id),
      namespace: optStr(row.namespace),
      pinnedVersionId: optNum(row.pinned_version_id),
    },
  );
}

export function jobEnvironmentFrom(row: Row): JobEnvironmentRecord {
  return withOptional<JobEnvironmentRecord>(
    {
      jobId: num(row.job_id),
      environmentId: num(row.environment_id),
      action: str(row.action),
    },
    { settledAt: optNum(row.settled_at) },
  );
}

export function clusterFrom(row: Row): ClusterRecord {
  return withOptional<ClusterRecord>(
    {
      id: num(row.id),
      name: str(row.name),
      credentialKind: str(row.credential_kind) as ClusterRecord["credentialKind"],
      credentialsCiphertext: str(row.credentials_ciphertext),
      createdAt: num(row.created_at),
    },
    { projectId: optNum(row.project_id) },
  );
}

export function resourceSetFrom(row: Row): ResourceSetRecord {
  return {
    id: num(row.id),
    projectId: num(row.project_id),
    name: str(row.name),
    description: str(row.description),
    createdAt: num(row.created_at),
  };
}

export function resourceSetVersionFrom(row: Row): ResourceSetVersionRecord {
  return withOptional<ResourceSetVersionRecord>(
    {
      id: num(row.id),
      resourceSetId: num(row.resource_set_id),
      projectId: num(row.project_id),
      digest: str(row.digest),
      rendered: json(row.rendered),
      createdAt: num(row.created_at),
    },
    {
      userId: optNum(row.user_id),
      jobId: optNum(row.job_id),
      pipelineId: optNum(row.pipeline_id),
      ref: optStr(row.ref),
      sha: optStr(row.sha),
    },
  );
}

export function deploymentFrom(row: Row): DeploymentRecord {
  const optJson = (value: unknown) =>
    value === null || value === undefined ? undefined : json(value);
  return withOptional<DeploymentRecord>(
    {
      id: num(row.id),
      projectId: num(row.project_id),
      iid: num(row.iid),
      environmentId: num(row.environment_id),
      status: str(row.status) as DeploymentRecord["status"],
      source: str(row.source) as DeploymentRecord["source"],
      tag: bool(row.tag),
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
    },
    {
      ref: optStr(row.ref),
      sha: optStr(row.sha),
      userId: optNum(row.user_id),
      jobId: optNum(row.job_id),
      pipelineId: optNum(row.pipeline_id),
      versionId: optNum(row.version_id),
      objects: optJson(row.objects),
      inventory: optJson(row.inventory),
      message: optStr(row.message),
      onStop: optStr(row.on_stop),
      autoStopIn: optStr(row.auto_stop_in),
      startedAt: optNum(row.started_at),
      finishedAt: optNum(row.finished_at),
    },
  );
}

/** The columns of a deployment row in the order `deploymentValues` gives them. */
export const DEPLOYMENT_INSERT_COLUMNS = [
  "project_id",
  "iid",
  "environment_id",
  "status",
  "source",
  "engine",
  "ref",
  "sha",
  "tag",
  "user_id",
  "job_id",
  "pipeline_id",
  "version_id",
  "objects",
  "inventory",
  "message",
  "on_stop",
  "auto_stop_in",
  "created_at",
  "updated_at",
  "started_at",
  "finished_at",
] as const;

/** A new deployment as the values of DEPLOYMENT_INSERT_COLUMNS. */
export function deploymentValues(
  deployment: NewDeployment,
  iid: number,
  engine: boolean,
  now: number,
): unknown[] {
  const optJson = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  return [
    deployment.projectId,
    iid,
    deployment.environmentId,
    deployment.status,
    deployment.source,
    engine,
    orNull(deployment.ref),
    orNull(deployment.sha),
    deployment.tag,
    orNull(deployment.userId),
    orNull(deployment.jobId),
    orNull(deployment.pipelineId),
    orNull(deployment.versionId),
    optJson(deployment.objects),
    optJson(deployment.inventory),
    orNull(deployment.message),
    orNull(deployment.onStop),
    orNull(deployment.autoStopIn),
    now,
    now,
    orNull(deployment.startedAt),
    orNull(deployment.finishedAt),
  ];
}

/** The columns of a job row in the order `jobValues` gives them. */
export const JOB_INSERT_COLUMNS = [
  "id",
  "pipeline_id",
  "project_id",
  "name",
  "stage",
  "status",
  "attempt",
  "retried",
  "allow_failure",
  "tags",
  "timeout_seconds",
  "failure_reason",
  "exit_code",
  "runner_id",
  "token_digest",
  "cancel_gracefully",
  "created_at",
  "updated_at",
  "queued_at",
  "started_at",
  "finished_at",
] as const;

/** A job record as the values of JOB_INSERT_COLUMNS. */
export function jobValues(job: JobRecord): unknown[] {
  return [
    job.id,
    job.pipelineId,
    job.projectId,
    job.name,
    job.stage,
    job.status,
    job.attempt,
    job.retried,
    job.allowFailure,
    JSON.stringify(job.tags),
    job.timeoutSeconds,
    orNull(job.failureReason),
    orNull(job.exitCode),
    orNull(job.runnerId),
    orNull(job.tokenDigest),
    job.cancelGracefully,
    job.createdAt,
    job.updatedAt,
    orNull(job.queuedAt),
    orNull(job.startedAt),
    orNull(job.finishedAt),
  ];
}

/**
 * Bytes [start, end) of a trace from its chunk rows (`byte_offset`, `data`, in offset order)
 * that cover that range.
 */
export function sliceChunks(chunks: Row[], start: number, end: number): Buffer {
  const out = Buffer.alloc(end - start);
  for (const chunk of chunks) {
    const offset = Number(chunk.byte_offset);
    const data = chunk.data as Buffer;
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + data.byteLength);
    if (from < to) data.copy(out, from - start, from - offset, to - offset);
  }
  return out;
}
