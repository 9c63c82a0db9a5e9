/**
 * The deploy system's vocabulary, shared by the engine that talks to Kubernetes
 * (`packages/deploy`) and the server that records resource sets, versions, clusters and
 * deployments (`packages/server`). Plain data only: everything here can be stored as JSON.
 */

/** One file of a resource set's source, relative to the set's root (`k8s/deployment.yml`). */
export interface SourceFile {
  path: string;
  /** UTF-8 text. */
  content: string;
}

/**
 * How a set's files become Kubernetes objects:
 * - `plain`: YAML documents with `__NAME__` and `${name}` placeholders filled from `values`;
 * - `kustomize`: a kustomization rendered with `kubectl kustomize`;
 * - `helm`: a chart rendered with `helm template`, `values` given as `--set` pairs.
 */
export type RenderKind = "plain" | "kustomize" | "helm";

export interface ResourceSetSource {
  kind: RenderKind;
  files: SourceFile[];
  /** Placeholder values (`image_id` → `registry/app:abc123`); helm: `--set key=value`. */
  values: Record<string, string>;
  /**
   * `helm` only: the release name and namespace `helm template` renders with (default name
   * `conveyor`, no namespace: `.Release.Namespace` is then `default`).
   */
  release?: { name: string; namespace?: string };
}

/** A Kubernetes object as JSON (apiVersion, kind, metadata, …). */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

/** Names one object in a cluster; `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /**
   * The object's UID when it was applied (inventories carry it): pruning deletes only the
   * object with this UID, never one re-created under the same name by someone else.
   */
  uid?: string;
}

/** An immutable version of a resource set: what was rendered, addressed by its content. */
export interface RenderedVersion {
  /** `sha256:<hex>` of the canonical JSON of { source, objects }. */
  digest: string;
  source: ResourceSetSource;
  /** In apply order. */
  objects: KubeObject[];
}

/** How to reach a cluster. Secret material: never log it, store it sealed. */
export interface ClusterCredentials {
  /** A whole kubeconfig (YAML); its current context is used. */
  kubeconfig?: string;
  /** Or an API server URL with a service-account token and the CA (PEM). */
  server?: string;
  token?: string;
  caData?: string;
  /** Skip TLS verification (tests only). */
  insecureSkipTlsVerify?: boolean;
}

/** Kubernetes impersonation (`Impersonate-User`, `Impersonate-Group`). */
export interface Impersonation {
  user: string;
  groups?: string[];
}

/** kstatus-style health of one object (see ../shared/specs/kubernetes-deploy-notes.md a.2). */
export type Health = "Current" | "InProgress" | "Failed" | "Terminating" | "NotFound" | "Unknown";

export type ObjectAction = "created" | "configured" | "unchanged" | "pruned" | "failed";

export interface ObjectResult {
  ref: ObjectRef;
  action: ObjectAction;
  health: Health;
  /** Why it failed or is not healthy ("pod web-5d… ImagePullBackOff: …"). */
  message?: string;
}

export interface DeployTarget {
  credentials: ClusterCredentials;
  /** Namespace for namespaced objects that name none. */
  namespace: string;
  impersonate?: Impersonation;
}

export interface ApplyRequest {
  target: DeployTarget;
  version: RenderedVersion;
  /** What the environment's previous deployment left in the cluster: pruned when absent now. */
  previousInventory: ObjectRef[];
  /** Server-side apply field manager; default `conveyor`. */
  fieldManager?: string;
  /** Stop waiting for health after this long (the deployment fails). */
  timeoutMs: number;
  signal: AbortSignal;
  /** Progress lines for the deployment log and the job trace, as they happen. */
  log: (line: string) => void;
}

export interface ApplyOutcome {
  status: "success" | "failed" | "canceled";
  objects: ObjectResult[];
  /** The objects this version put in the cluster: the next deployment's previousInventory. */
  inventory: ObjectRef[];
  /** A short diagnosis when it failed (names the object and the reason). */
  message?: string;
}

export interface DiffEntry {
  ref: ObjectRef;
  change: "create" | "update" | "unchanged" | "prune";
  /** A unified diff of the live object against the dry-run result (fields we manage). */
  diff?: string;
}

export interface DiffRequest {
  target: DeployTarget;
  version: RenderedVersion;
  previousInventory: ObjectRef[];
  fieldManager?: string;
  signal: AbortSignal;
}

/** What the server needs from the deploy engine; `packages/deploy` implements it. */
export interface Deployer {
  render(source: ResourceSetSource): Promise<RenderedVersion>;
  diff(request: DiffRequest): Promise<DiffEntry[]>;
  apply(request: ApplyRequest): Promise<ApplyOutcome>;
}
