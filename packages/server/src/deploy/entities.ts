/**
 * Deploy records as the REST API shows them. Deployments take GitLab's shape (docs:
 * api/deployments, https://docs.gitlab.com/api/deployments/: `id`, `iid`, `ref`, `sha`, `tag`,
 * `status`, `created_at`, `updated_at`, `finished_at`, `user`, `deployable`, `environment`)
 * plus Conveyor's fields (`source`, `resource_set`, `version`, `objects`, `message`). Clusters
 * never show their credentials. `EntityLoader` reads the records an entity refers to, once per
 * request.
 */
import { userEntity } from "../http/entities.js";
import type {
  ClusterRecord,
  DeploymentRecord,
  EnvironmentRecord,
  JobRecord,
  PipelineRecord,
  ResourceSetRecord,
  ResourceSetVersionRecord,
  Store,
  UserRecord,
} from "../store/types.js";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function clusterEntity(cluster: ClusterRecord) {
  return {
    id: cluster.id,
    name: cluster.name,
    project_id: cluster.projectId ?? null,
    credential_kind: cluster.credentialKind,
    created_at: iso(cluster.createdAt),
  };
}

export function resourceSetEntity(set: ResourceSetRecord, latest?: ResourceSetVersionRecord) {
  return {
    id: set.id,
    name: set.name,
    description: set.description,
    project_id: set.projectId,
    created_at: iso(set.createdAt),
    latest_version: latest ? { id: latest.id, digest: latest.digest } : null,
  };
}

/** A version; `full` adds the source files' contents and the rendered objects. */
export function versionEntity(
  version: ResourceSetVersionRecord,
  set: ResourceSetRecord,
  serverUrl: string,
  user: UserRecord | undefined,
  full: boolean,
) {
  const { source, objects } = version.rendered;
  return {
    id: version.id,
    digest: version.digest,
    resource_set: { id: set.id, name: set.name },
    kind: source.kind,
    values: source.values,
    release: source.release ?? null,
    files: full ? source.files : source.files.map((file) => ({ path: file.path })),
    objects: full
      ? objects
      : objects.map((object) => ({
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        })),
    user: user ? userEntity(user, serverUrl) : null,
    job_id: version.jobId ?? null,
    pipeline_id: version.pipelineId ?? null,
    ref: version.ref ?? null,
    sha: version.sha ?? null,
    created_at: iso(version.createdAt),
  };
}

/** Reads (and remembers) the records entities refer to. */
export class EntityLoader {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    readonly serverUrl: string,
  ) {}

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let found = this.cache.get(key) as Promise<T> | undefined;
    if (!found) {
      found = load();
      this.cache.set(key, found);
    }
    return found;
  }

  user = (id: number | undefined) =>
    id === undefined
      ? Promise.resolve(undefined)
      : this.once(`u${id}`, () => this.store.users.byId(id));
  job = (id: number | undefined) =>
    id === undefined
      ? Promise.resolve(undefined)
      : this.once(`j${id}`, () => this.store.jobs.byId(id));
  pipeline = (id: number | undefined) =>
    id === undefined
      ? Promise.resolve(undefined)
      : this.once(`p${id}`, () => this.store.pipelines.byId(id));
  environment = (id: number) => this.once(`e${id}`, () => this.store.environments.byId(id));
  version = (id: number | undefined) =>
    id === undefined
      ? Promise.resolve(undefined)
      : this.once(`v${id}`, () => this.store.resourceSets.versionById(id));
  set = (id: number | undefined) =>
    id === undefined
      ? Promise.resolve(undefined)
      : this.once(`s${id}`, () => this.store.resourceSets.byId(id));

  async deployment(deployment: DeploymentRecord) {
    const [user, job, pipeline, environment, version] = await Promise.all([
      this.user(deployment.userId),
      this.job(deployment.jobId),
      this.pipeline(deployment.pipelineId),
      this.environment(deployment.environmentId),
      this.version(deployment.versionId),
    ]);
    const set = await this.set(version?.resourceSetId);
    return deploymentEntity(
      deployment,
      { user, job, pipeline, environment, version, set },
      this.serverUrl,
    );
  }

  /** Conveyor's fields of an environment: its pin and its last successful deployment. */
  async environmentExtras(environment: EnvironmentRecord) {
    const pinned = await this.version(environment.pinnedVersionId);
    const pinnedSet = await this.set(pinned?.resourceSetId);
    const last = await this.store.deployments.lastSuccessful(environment.id);
    return {
      pinned_version:
        pinned && pinnedSet
          ? { id: pinned.id, digest: pinned.digest, resource_set: pinnedSet.name }
          : null,
      last_deployment: last ? await this.deployment(last) : null,
    };
  }
}

export function deploymentEntity(
  deployment: DeploymentRecord,
  related: {
    user?: UserRecord | undefined;
    job?: JobRecord | undefined;
    pipeline?: PipelineRecord | undefined;
    environment?: EnvironmentRecord | undefined;
    version?: ResourceSetVersionRecord | undefined;
    set?: ResourceSetRecord | undefined;
  },
  serverUrl: string,
) {
  const { user, job, pipeline, environment, version, set } = related;
  return {
    id: deployment.id,
    iid: deployment.iid,
    ref: deployment.ref ?? null,
    sha: deployment.sha ?? null,
    tag: deployment.tag,
    status: deployment.status,
    created_at: iso(deployment.createdAt),
    updated_at: iso(deployment.updatedAt),
    started_at: iso(deployment.startedAt),
    finished_at: iso(deployment.finishedAt),
    user: user ? userEntity(user, serverUrl) : null,
    deployable: job
      ? {
          id: job.id,
          name: job.name,
          stage: job.stage,
          status: job.status,
          ref: pipeline?.ref ?? null,
          tag: pipeline?.tag ?? false,
          created_at: iso(job.createdAt),
          started_at: iso(job.startedAt),
          finished_at: iso(job.finishedAt),
          pipeline: pipeline
            ? {
                id: pipeline.id,
                iid: pipeline.iid,
                project_id: pipeline.projectId,
                ref: pipeline.ref,
                sha: pipeline.sha,
                status: pipeline.status,
              }
            : null,
        }
      : null,
    environment: environment
      ? {
          id: environment.id,
          name: environment.name,
          slug: environment.slug,
          external_url: environment.externalUrl ?? null,
          tier: environment.tier,
        }
      : null,
    source: deployment.source,
    resource_set: set ? { id: set.id, name: set.name } : null,
    version: version ? { id: version.id, digest: version.digest } : null,
    objects: deployment.objects ?? [],
    message: deployment.message ?? null,
  };
}
