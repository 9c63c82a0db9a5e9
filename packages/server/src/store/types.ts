/**
 * The server's storage contract: narrow stores per aggregate. SQLite (the embedded default)
 * and PostgreSQL implement it and pass one contract suite (contract-suite.ts).
 *
 * Rules every implementation keeps:
 * - Times are epoch milliseconds; JSON columns round-trip exactly what was written.
 * - Each method is atomic. Operations that must change several rows together (a pipeline's
 *   event with its job rows; a trace append) are single methods, so no caller holds a
 *   transaction open across awaits.
 * - Secrets arrive already encrypted (`valueCiphertext`) and token columns hold digests only.
 */
import type { EngineEvent, JobStatus, PipelineStatus } from "@conveyor/engine";
import type { PipelineEvent, Plan } from "@conveyor/pipeline";
import type { FailureReason } from "@conveyor/protocol";
import type { ObjectRef, ObjectResult, RenderedVersion } from "@conveyor/deploy";

export interface UserRecord {
  id: number;
  username: string;
  name: string;
  email: string;
  admin: boolean;
  createdAt: number;
}

export interface NewUser {
  username: string;
  name: string;
  email: string;
  admin: boolean;
}

/** A personal access token; only its SHA-256 digest is stored. */
export interface AccessTokenRecord {
  id: number;
  userId: number;
  name: string;
  digest: string;
  scopes: string[];
  /** Epoch ms; undefined: never expires. */
  expiresAt?: number;
  revoked: boolean;
  createdAt: number;
}

export type NewAccessToken = Omit<AccessTokenRecord, "id" | "revoked" | "createdAt">;

/** GitLab's access levels (`Gitlab::Access`). */
export const ACCESS_LEVELS = {
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export type Visibility = "private" | "internal" | "public";

export interface ProjectRecord {
  id: number;
  /** `path_with_namespace`, e.g. `group/app`. */
  path: string;
  name: string;
  description: string;
  defaultBranch: string;
  visibility: Visibility;
  createdAt: number;
}

export type NewProject = Omit<ProjectRecord, "id" | "createdAt">;

export interface MemberRecord {
  projectId: number;
  userId: number;
  accessLevel: number;
}

export type RunnerType = "instance_type" | "project_type";

export interface RunnerRecord {
  id: number;
  /** SHA-256 of the runner token. */
  tokenDigest: string;
  description: string;
  tags: string[];
  runUntagged: boolean;
  locked: boolean;
  paused: boolean;
  runnerType: RunnerType;
  /** The projects a project runner serves. */
  projectIds: number[];
  accessLevel: "not_protected" | "ref_protected";
  /** Seconds; caps the job timeout. */
  maximumTimeout?: number;
  createdAt: number;
  contactedAt?: number;
  /** The runner's last `info` (name, version, executor, features…). */
  info?: Record<string, unknown>;
}

export type NewRunner = Omit<RunnerRecord, "id" | "createdAt" | "contactedAt" | "info">;

export interface PipelineRecord {
  id: number;
  projectId: number;
  /** Per-project sequence number (`CI_PIPELINE_IID`). */
  iid: number;
  ref: string;
  tag: boolean;
  sha: string;
  beforeSha: string;
  source: string;
  status: PipelineStatus;
  userId?: number;
  /** The event the plan was made for (with pipelineId/pipelineIid filled in). */
  event: PipelineEvent;
  plan: Plan;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

export type NewPipeline = Omit<PipelineRecord, "id" | "iid" | "updatedAt">;

/** One attempt of a job, as the API shows it (a projection of the engine's state). */
export interface JobRecord {
  id: number;
  pipelineId: number;
  projectId: number;
  name: string;
  stage: string;
  status: JobStatus;
  attempt: number;
  retried: boolean;
  allowFailure: boolean;
  /** The job's `tags`, expanded: a runner must have all of them. */
  tags: string[];
  timeoutSeconds: number;
  failureReason?: FailureReason;
  exitCode?: number;
  runnerId?: number;
  /** SHA-256 of the job token; set while a runner holds the job. */
  tokenDigest?: string;
  /** The runner announced `cancel_gracefully`: a cancel makes the job `canceling`. */
  cancelGracefully: boolean;
  createdAt: number;
  updatedAt: number;
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
}

/** Columns of a job row that an engine event can change. */
export type JobChange = Pick<JobRecord, "id"> &
  Partial<
    Pick<
      JobRecord,
      | "status"
      | "retried"
      | "allowFailure"
      | "failureReason"
      | "exitCode"
      | "queuedAt"
      | "startedAt"
      | "finishedAt"
    >
  >;

/** What one engine event did to a pipeline, written in one transaction. */
export interface PipelineStep {
  pipelineId: number;
  /** The event's position in the pipeline's log: 0 for the first. A taken seq is an error. */
  seq: number;
  event: EngineEvent;
  /** Attempts the event created (first runs and retries). */
  newJobs: JobRecord[];
  changedJobs: JobChange[];
  pipeline: Pick<PipelineRecord, "status" | "updatedAt"> &
    Partial<Pick<PipelineRecord, "startedAt" | "finishedAt">>;
  /**
   * When set, the step applies only if this job row is `pending` with no runner; it is then
   * bound to the runner (runnerId, tokenDigest, cancelGracefully). Otherwise nothing is written
   * and `recordStep` answers false.
   */
  claim?: { jobId: number; runnerId: number; tokenDigest: string; cancelGracefully: boolean };
}

export interface TraceAppend {
  /** The append was applied (its offset was the stored length). */
  ok: boolean;
  /** The stored length after the call. */
  size: number;
}

export interface ArtifactRecord {
  id: number;
  jobId: number;
  /** `archive`, `junit`, `dotenv`, … (runner protocol §2.11). */
  fileType: string;
  /** `zip`, `gzip`, `raw`. */
  fileFormat: string;
  filename: string;
  size: number;
  sha256: string;
  /** Where the blob store keeps the bytes. */
  blobKey: string;
  expireAt?: number;
  createdAt: number;
}

export type NewArtifact = Omit<ArtifactRecord, "id">;

export interface VariableRecord {
  id: number;
  /** undefined: an instance variable. */
  projectId?: number;
  key: string;
  /** Encrypted by the server's secret box; the store never sees plain text. */
  valueCiphertext: string;
  variableType: "env_var" | "file";
  masked: boolean;
  protected: boolean;
  raw: boolean;
  environmentScope: string;
  description?: string;
}

export type NewVariable = Omit<VariableRecord, "id">;

/** A pipeline trigger token (`POST /projects/:id/trigger/pipeline`); only its digest is stored. */
export interface TriggerTokenRecord {
  id: number;
  projectId: number;
  ownerId: number;
  description: string;
  digest: string;
  /** The first characters of the token, shown in lists (GitLab shows `glptt-abcd…`). */
  hint: string;
  createdAt: number;
  lastUsedAt?: number;
}

export type NewTriggerToken = Omit<TriggerTokenRecord, "id" | "createdAt" | "lastUsedAt">;

/** A pipeline schedule (`/projects/:id/pipeline_schedules`). */
export interface ScheduleRecord {
  id: number;
  projectId: number;
  ownerId: number;
  description: string;
  /** A branch or tag name. */
  ref: string;
  /** Five-field cron expression. */
  cron: string;
  /** IANA zone, `UTC` by default. */
  cronTimezone: string;
  active: boolean;
  variables: { key: string; value: string; variableType: "env_var" | "file" }[];
  /** Epoch ms of the next run; undefined when inactive. */
  nextRunAt?: number;
  lastPipelineId?: number;
  createdAt: number;
  updatedAt: number;
}

export type NewSchedule = Omit<ScheduleRecord, "id" | "createdAt" | "updatedAt" | "lastPipelineId">;

/** An inbound push webhook: a GitLab, GitHub or Gitea repository that builds in a project. */
export interface InboundHookRecord {
  id: number;
  projectId: number;
  provider: "gitlab" | "github" | "gitea";
  /** The shared secret (GitLab's X-Gitlab-Token, GitHub's/Gitea's HMAC key), encrypted. */
  secretCiphertext: string;
  /** Where the pushed commits are fetched from. */
  cloneUrl: string;
  createdAt: number;
}

export type NewInboundHook = Omit<InboundHookRecord, "id" | "createdAt">;

/**
 * GitLab's environment states (docs: ci/environments, https://docs.gitlab.com/ci/environments/):
 * `available`; `stopping` while its `on_stop` job runs; `stopped`.
 */
export type EnvironmentState = "available" | "stopping" | "stopped";

/** A deployment environment (`environment:` of a job). */
export interface EnvironmentRecord {
  id: number;
  projectId: number;
  name: string;
  /** `CI_ENVIRONMENT_SLUG`. */
  slug: string;
  externalUrl?: string;
  tier: string;
  state: EnvironmentState;
  /** The job of the last successful deployment. */
  lastDeploymentJobId?: number;
  /**
   * When the environment stops by itself (GitLab's `auto_stop_at`): set from the
   * `environment:auto_stop_in` of the job that created or last deployed it.
   */
  autoStopAt?: number;
  /** The cluster Conveyor's deploy engine applies to (a project's or an instance cluster). */
  clusterId?: number;
  /** The namespace for namespaced objects that name none (GitLab's `kubernetes_namespace`). */
  namespace?: string;
  /** Apply as the requesting user (Kubernetes impersonation) instead of the cluster's identity. */
  impersonate: boolean;
  /** Only Maintainers (and above) may deploy here. */
  protected: boolean;
  /**
   * Set by a rollback: the environment stays on this resource set version, and deploys of
   * other versions are refused until someone unpins it.
   */
  pinnedVersionId?: number;
  createdAt: number;
  updatedAt: number;
}

export type NewEnvironment = Omit<
  EnvironmentRecord,
  "id" | "createdAt" | "updatedAt" | "impersonate" | "protected"
> &
  Partial<Pick<EnvironmentRecord, "impersonate" | "protected">>;

/** Environment fields a later change may set (a field present with `undefined` clears it). */
export type EnvironmentChange = Partial<
  Pick<
    EnvironmentRecord,
    | "externalUrl"
    | "tier"
    | "state"
    | "lastDeploymentJobId"
    | "autoStopAt"
    | "clusterId"
    | "namespace"
    | "impersonate"
    | "protected"
    | "pinnedVersionId"
  >
>;

/**
 * A Kubernetes cluster registered for a project or, without `projectId`, for the instance.
 * Its credentials (`ClusterCredentials` as JSON) are sealed by the server's secret box.
 */
export interface ClusterRecord {
  id: number;
  projectId?: number;
  name: string;
  /** `kubeconfig` or `token` (server, token and CA): how the credentials reach the cluster. */
  credentialKind: "kubeconfig" | "token";
  credentialsCiphertext: string;
  createdAt: number;
}

export type NewCluster = Omit<ClusterRecord, "id" | "createdAt">;

/** A named set of Kubernetes manifests of a project (`conveyor deploy push`). */
export interface ResourceSetRecord {
  id: number;
  projectId: number;
  name: string;
  description: string;
  createdAt: number;
}

export type NewResourceSet = Omit<ResourceSetRecord, "id" | "createdAt">;

/** An immutable version of a resource set, addressed by `rendered.digest`. */
export interface ResourceSetVersionRecord {
  id: number;
  resourceSetId: number;
  projectId: number;
  digest: string;
  /** The source files and the objects they rendered to, exactly as pushed. */
  rendered: RenderedVersion;
  /** Who pushed it: a person, or the job whose token pushed it (with its pipeline and commit). */
  userId?: number;
  jobId?: number;
  pipelineId?: number;
  ref?: string;
  sha?: string;
  createdAt: number;
}

export type NewResourceSetVersion = Omit<ResourceSetVersionRecord, "id" | "createdAt" | "digest">;

/**
 * GitLab's deployment statuses (docs: api/deployments, "status",
 * https://docs.gitlab.com/api/deployments/): a job's deployment is `created` with its pipeline,
 * `running` while the job runs, then the job's end (`skipped` for a job that never ran). GitLab's
 * `blocked` (a deployment waiting for approvals) never happens here: Conveyor has no approvals.
 */
export type DeploymentStatus =
  "created" | "running" | "success" | "failed" | "canceled" | "skipped";

/**
 * Where a deployment comes from:
 * - `job`: a CI job with `environment:` deploying with its own scripts (status follows the job);
 * - `api`: GitLab's "create a deployment" (`POST /projects/:id/deployments`), status set by PUT;
 * - `deploy`, `rollback`, `redeploy`: a resource set version applied by Conveyor's deploy engine.
 */
export type DeploymentSource = "job" | "api" | "deploy" | "rollback" | "redeploy";

/** The sources whose deployments Conveyor's deploy engine applies (one at a time per environment). */
export const ENGINE_SOURCES: readonly DeploymentSource[] = ["deploy", "rollback", "redeploy"];

export interface DeploymentRecord {
  id: number;
  projectId: number;
  /** Per-project sequence number, as GitLab's `iid`. */
  iid: number;
  environmentId: number;
  status: DeploymentStatus;
  source: DeploymentSource;
  ref?: string;
  sha?: string;
  tag: boolean;
  userId?: number;
  jobId?: number;
  pipelineId?: number;
  /** The resource set version applied (engine deployments). */
  versionId?: number;
  /** Per-object results of the apply. */
  objects?: ObjectResult[];
  /** What the apply left in the cluster: the next apply's previous inventory. */
  inventory?: ObjectRef[];
  /** Why it failed or was canceled, in a sentence. */
  message?: string;
  /** The deploying job's `environment:on_stop`: the job of its pipeline that stops the environment. */
  onStop?: string;
  /** The deploying job's `environment:auto_stop_in`, expanded (`1 day`, `never`). */
  autoStopIn?: string;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

export type NewDeployment = Omit<DeploymentRecord, "id" | "iid" | "createdAt" | "updatedAt">;

export type DeploymentChange = Partial<
  Pick<
    DeploymentRecord,
    | "status"
    | "source"
    | "versionId"
    | "objects"
    | "inventory"
    | "message"
    | "startedAt"
    | "finishedAt"
    | "userId"
  >
>;

export type DeploymentOrder = "id" | "iid" | "created_at" | "updated_at" | "finished_at" | "ref";

export interface DeploymentFilter {
  environmentId?: number;
  status?: DeploymentStatus;
  /** Default `id`. */
  orderBy?: DeploymentOrder;
  /** Default `asc` (as GitLab's list). */
  sort?: "asc" | "desc";
  limit?: number;
  offset?: number;
}

export interface UserStore {
  create(user: NewUser, now: number): Promise<UserRecord>;
  byId(id: number): Promise<UserRecord | undefined>;
  byUsername(username: string): Promise<UserRecord | undefined>;
  list(): Promise<UserRecord[]>;
}

export interface AccessTokenStore {
  create(token: NewAccessToken, now: number): Promise<AccessTokenRecord>;
  byDigest(digest: string): Promise<AccessTokenRecord | undefined>;
  revoke(id: number): Promise<void>;
}

export interface ProjectStore {
  /** Rejects with a StoreConflict when the path is taken. */
  create(project: NewProject, now: number): Promise<ProjectRecord>;
  byId(id: number): Promise<ProjectRecord | undefined>;
  byPath(path: string): Promise<ProjectRecord | undefined>;
  list(): Promise<ProjectRecord[]>;
  update(
    id: number,
    change: Partial<Pick<ProjectRecord, "name" | "description" | "defaultBranch" | "visibility">>,
  ): Promise<ProjectRecord | undefined>;
  delete(id: number): Promise<void>;
  setMember(member: MemberRecord): Promise<void>;
  removeMember(projectId: number, userId: number): Promise<void>;
  member(projectId: number, userId: number): Promise<MemberRecord | undefined>;
  members(projectId: number): Promise<MemberRecord[]>;
}

export interface RunnerStore {
  create(runner: NewRunner, now: number): Promise<RunnerRecord>;
  byId(id: number): Promise<RunnerRecord | undefined>;
  byTokenDigest(digest: string): Promise<RunnerRecord | undefined>;
  list(): Promise<RunnerRecord[]>;
  update(
    id: number,
    change: Partial<
      Pick<
        RunnerRecord,
        "description" | "tags" | "runUntagged" | "locked" | "paused" | "accessLevel" | "tokenDigest"
      >
    >,
  ): Promise<RunnerRecord | undefined>;
  /** Heartbeat: last contact time and the runner's `info`. */
  touch(id: number, now: number, info?: Record<string, unknown>): Promise<void>;
  delete(id: number): Promise<void>;
}

export interface PipelineStore {
  /**
   * Allocates the id and the project's next iid, and stores the event with `pipelineId` and
   * `pipelineIid` set to them (`CI_PIPELINE_ID`/`CI_PIPELINE_IID` of every job).
   */
  create(pipeline: NewPipeline, now: number): Promise<PipelineRecord>;
  byId(id: number): Promise<PipelineRecord | undefined>;
  /** Newest first. */
  list(
    projectId: number,
    filter?: { ref?: string; status?: PipelineStatus; limit?: number; offset?: number },
  ): Promise<PipelineRecord[]>;
  /** Pipelines not yet in a final state, oldest first (reloaded at start). */
  active(): Promise<PipelineRecord[]>;
  /** The pipeline's event log in order. */
  events(pipelineId: number): Promise<EngineEvent[]>;
  /**
   * Appends one event with everything it changed, atomically. Answers false (and writes
   * nothing) when `step.claim` is set and the job is no longer free.
   */
  recordStep(step: PipelineStep): Promise<boolean>;
  /** The largest job id ever used (0 when none): job ids continue from there. */
  maxJobId(): Promise<number>;
}

export interface JobStore {
  byId(id: number): Promise<JobRecord | undefined>;
  byTokenDigest(digest: string): Promise<JobRecord | undefined>;
  /** A pipeline's attempts in creation order. */
  ofPipeline(pipelineId: number): Promise<JobRecord[]>;
  /** Newest first. */
  ofProject(
    projectId: number,
    filter?: { statuses?: JobStatus[]; limit?: number; offset?: number },
  ): Promise<JobRecord[]>;
  /** `pending` jobs no runner holds, oldest queued first. */
  queue(limit: number): Promise<JobRecord[]>;
  /** Jobs a runner holds (`running`/`canceling`) whose last update is older than `before`. */
  stale(before: number): Promise<JobRecord[]>;
  /** A runner's update (trace or state) keeps the job alive. */
  touch(id: number, now: number): Promise<void>;
  /** Forgets the job token (the job left `running`/`canceling`). */
  clearToken(id: number): Promise<void>;
}

export interface TraceStore {
  /** Appends `bytes` at `offset` only when `offset` equals the stored length. */
  append(jobId: number, offset: number, bytes: Uint8Array): Promise<TraceAppend>;
  /** Bytes [from, to) of the log (defaults: the whole log). */
  read(jobId: number, from?: number, to?: number): Promise<Uint8Array>;
  size(jobId: number): Promise<number>;
}

export interface ArtifactStore {
  create(artifact: NewArtifact): Promise<ArtifactRecord>;
  ofJob(jobId: number): Promise<ArtifactRecord[]>;
  /** Artifacts whose `expireAt` is before `now`. */
  expired(now: number): Promise<ArtifactRecord[]>;
  delete(id: number): Promise<void>;
}

export interface VariableStore {
  /** Replaces the variable with the same (project, key, environment scope). */
  put(variable: NewVariable): Promise<VariableRecord>;
  /** Instance variables when projectId is undefined. */
  list(projectId?: number): Promise<VariableRecord[]>;
  get(
    projectId: number | undefined,
    key: string,
    environmentScope?: string,
  ): Promise<VariableRecord | undefined>;
  delete(id: number): Promise<void>;
}

/** Instance settings (the runner registration token digest, the schema of secrets, …). */
export interface SettingStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface TriggerTokenStore {
  create(token: NewTriggerToken, now: number): Promise<TriggerTokenRecord>;
  byDigest(digest: string): Promise<TriggerTokenRecord | undefined>;
  ofProject(projectId: number): Promise<TriggerTokenRecord[]>;
  used(id: number, now: number): Promise<void>;
  delete(id: number): Promise<void>;
}

export interface ScheduleStore {
  create(schedule: NewSchedule, now: number): Promise<ScheduleRecord>;
  byId(id: number): Promise<ScheduleRecord | undefined>;
  ofProject(projectId: number): Promise<ScheduleRecord[]>;
  /** Active schedules whose nextRunAt is at or before `now`, earliest first. */
  due(now: number): Promise<ScheduleRecord[]>;
  update(
    id: number,
    change: Partial<Omit<ScheduleRecord, "id" | "projectId" | "createdAt">>,
    now: number,
  ): Promise<ScheduleRecord | undefined>;
  delete(id: number): Promise<void>;
}

export interface InboundHookStore {
  create(hook: NewInboundHook, now: number): Promise<InboundHookRecord>;
  byId(id: number): Promise<InboundHookRecord | undefined>;
  ofProject(projectId: number): Promise<InboundHookRecord[]>;
  delete(id: number): Promise<void>;
}

/** Which environment a job with `environment:` acts on, and how (`environment:action`). */
export interface JobEnvironmentRecord {
  jobId: number;
  environmentId: number;
  /** `start` (the default), `prepare`, `verify`, `access` or `stop`. */
  action: string;
  /** When the job's end was applied to the environment; unset until then. */
  settledAt?: number;
}

/**
 * The durable note of which environment each job acts on: kept from the moment the job's
 * environment is known, and settled once the job's end has moved the environment, so an end
 * a stopped server did not get to apply is found when it starts again.
 */
export interface JobEnvironmentStore {
  /** Records the job's environment and action (again: re-pointed; `settledAt` stays). */
  remember(record: Omit<JobEnvironmentRecord, "settledAt">): Promise<void>;
  ofJob(jobId: number): Promise<JobEnvironmentRecord | undefined>;
  /** The job's end has been applied to its environment (a no-op when already settled). */
  settle(jobId: number, now: number): Promise<void>;
  /**
   * Unsettled records whose job has ended (`success`, `failed`, `canceled`, `skipped`), in the
   * order the jobs finished.
   */
  ended(limit?: number): Promise<JobEnvironmentRecord[]>;
}

export interface EnvironmentStore {
  /** Creates the environment or answers the existing one with that name (unchanged). */
  ensure(environment: NewEnvironment, now: number): Promise<EnvironmentRecord>;
  byId(id: number): Promise<EnvironmentRecord | undefined>;
  ofProject(projectId: number): Promise<EnvironmentRecord[]>;
  /**
   * Applies the change (stamping `updatedAt`); with `from`, only while the state is one of
   * those (answers undefined otherwise, writing nothing).
   */
  update(
    id: number,
    change: EnvironmentChange,
    now: number,
    from?: readonly EnvironmentState[],
  ): Promise<EnvironmentRecord | undefined>;
  /** `available` environments whose `autoStopAt` is `now` or earlier, soonest first. */
  autoStopDue(now: number, limit?: number): Promise<EnvironmentRecord[]>;
  /** Environments in `stopping`, by id. */
  stopping(limit?: number): Promise<EnvironmentRecord[]>;
  delete(id: number): Promise<void>;
}

export interface ClusterStore {
  /** Rejects with a StoreConflict when the project (or the instance) has a cluster of that name. */
  create(cluster: NewCluster, now: number): Promise<ClusterRecord>;
  byId(id: number): Promise<ClusterRecord | undefined>;
  /** A project's clusters; the instance's when projectId is undefined. */
  list(projectId?: number): Promise<ClusterRecord[]>;
  /** Environments using the cluster forget it. */
  delete(id: number): Promise<void>;
}

export interface ResourceSetStore {
  /** Rejects with a StoreConflict when the project has a set of that name. */
  create(set: NewResourceSet, now: number): Promise<ResourceSetRecord>;
  /** Creates the set or answers the existing one with that name (unchanged). */
  ensure(set: NewResourceSet, now: number): Promise<ResourceSetRecord>;
  byId(id: number): Promise<ResourceSetRecord | undefined>;
  byName(projectId: number, name: string): Promise<ResourceSetRecord | undefined>;
  ofProject(projectId: number): Promise<ResourceSetRecord[]>;
  /** Deletes the set with its versions (pinned environments are unpinned). */
  delete(id: number): Promise<void>;
  /**
   * Stores a version unless the set has one with the same digest; answers the stored version
   * and whether this call created it.
   */
  addVersion(
    version: NewResourceSetVersion,
    now: number,
  ): Promise<{ version: ResourceSetVersionRecord; created: boolean }>;
  versionById(id: number): Promise<ResourceSetVersionRecord | undefined>;
  version(resourceSetId: number, digest: string): Promise<ResourceSetVersionRecord | undefined>;
  /** Newest first. */
  versions(
    resourceSetId: number,
    window?: { limit?: number; offset?: number },
  ): Promise<ResourceSetVersionRecord[]>;
}

/** A deployment whose status has not caught up with its job's. */
export interface DeploymentBehindJob {
  deployment: DeploymentRecord;
  jobStatus: JobStatus;
}

export interface DeploymentStore {
  /** Allocates the project's next iid. */
  create(deployment: NewDeployment, now: number): Promise<DeploymentRecord>;
  byId(id: number): Promise<DeploymentRecord | undefined>;
  ofJob(jobId: number): Promise<DeploymentRecord[]>;
  list(projectId: number, filter?: DeploymentFilter): Promise<DeploymentRecord[]>;
  /**
   * Applies the change (stamping `updatedAt`); with `from`, only while the status is one of
   * those (answers undefined otherwise, writing nothing).
   */
  update(
    id: number,
    change: DeploymentChange,
    now: number,
    from?: readonly DeploymentStatus[],
  ): Promise<DeploymentRecord | undefined>;
  /**
   * Starts the environment's oldest `created` engine deployment (status `running`,
   * `startedAt`), unless one of its engine deployments is running already.
   */
  startNext(environmentId: number, now: number): Promise<DeploymentRecord | undefined>;
  /** Environments with `created` engine deployments, by id. */
  queuedEnvironments(): Promise<number[]>;
  /** Engine deployments in `running`, oldest first. */
  running(): Promise<DeploymentRecord[]>;
  /**
   * Deployments their job has moved past, with the job's status, oldest first: job deployments
   * still `created` while the job runs or after it ended, or still `running` after it ended,
   * and engine deployments still `created` after their job ended.
   */
  behindJobs(limit?: number): Promise<DeploymentBehindJob[]>;
  /** The environment's newest `success` deployment (of the engine only, when `engineOnly`). */
  lastSuccessful(
    environmentId: number,
    engineOnly?: boolean,
  ): Promise<DeploymentRecord | undefined>;
  /**
   * The environment's current inventory: that of its newest finished engine deployment that
   * recorded one (a failed apply records what it left in the cluster too).
   */
  lastInventory(environmentId: number): Promise<DeploymentRecord | undefined>;
  /** Appends log lines in order; answers the log's length in lines after the append. */
  appendLog(deploymentId: number, lines: readonly string[]): Promise<number>;
  /** Lines [from, from + limit) of the log. */
  log(deploymentId: number, from?: number, limit?: number): Promise<string[]>;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly users: UserStore;
  readonly tokens: AccessTokenStore;
  readonly projects: ProjectStore;
  readonly runners: RunnerStore;
  readonly pipelines: PipelineStore;
  readonly jobs: JobStore;
  readonly traces: TraceStore;
  readonly artifacts: ArtifactStore;
  readonly variables: VariableStore;
  readonly settings: SettingStore;
  readonly triggers: TriggerTokenStore;
  readonly schedules: ScheduleStore;
  readonly hooks: InboundHookStore;
  readonly environments: EnvironmentStore;
  readonly jobEnvironments: JobEnvironmentStore;
  readonly clusters: ClusterStore;
  readonly resourceSets: ResourceSetStore;
  readonly deployments: DeploymentStore;
  close(): Promise<void>;
}

/** A uniqueness rule refused the write (a taken project path, user name, …). */
export class StoreConflict extends Error {
  override readonly name = "StoreConflict";
}
