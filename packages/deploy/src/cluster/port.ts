/**
 * The `Cluster` port (ARCHITECTURE.md "Ports"): everything the deploy engine asks of a
 * Kubernetes API server. One adapter implements it (kube-cluster.ts, on
 * @kubernetes/client-node); the engine's logic sees only this interface.
 */
import type { KubeObject, ObjectRef } from "../types.js";

/** How the API serves one kind (from discovery). */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  /** The URL segment (`deployments`). */
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  /** Only this namespace (all namespaces when absent, for namespaced kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchHandle {
  stop(): void;
}

export interface ApplyOptions {
  /** Server-side apply field manager. */
  fieldManager: string;
  /** `dryRun=All`: admission and merge run, nothing is stored. */
  dryRun?: boolean;
}

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface DeleteOptions {
  propagationPolicy: PropagationPolicy;
  /** Delete only if the live object still has this UID (a precondition; 409 otherwise). */
  uid?: string;
}

export interface LogOptions {
  tailLines: number;
  /** The previous (crashed) run of the container. */
  previous?: boolean;
}

export interface Cluster {
  /** Discovery: how the API serves this kind; `refresh` re-reads the group (new CRDs). */
  resource(
    apiVersion: string,
    kind: string,
    options?: { refresh?: boolean },
  ): Promise<ResourceInfo | undefined>;
  /** Server-side apply of one object (force: the deploy system owns the fields it sets). */
  apply(object: KubeObject, options: ApplyOptions): Promise<KubeObject>;
  /** The live object, or undefined when there is none. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, options?: ListOptions): Promise<KubeObject[]>;
  /** Deletes the object; resolves undefined when it was already gone. */
  delete(ref: ObjectRef, options: DeleteOptions): Promise<KubeObject | undefined>;
  /** Watches a kind; `onEvent` for each change, `onClose` when the stream ends (not after stop()). */
  watch(
    apiVersion: string,
    kind: string,
    options: ListOptions,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onClose?: (error?: Error) => void,
  ): WatchHandle;
  /** core/v1 Events about one object (by UID when known, else by kind and name). */
  events(
    namespace: string,
    involved: { uid?: string; kind?: string; name?: string },
  ): Promise<KubeObject[]>;
  /** The last lines of a container's log. */
  podLogs(namespace: string, pod: string, container: string, options: LogOptions): Promise<string>;
  /** Ends open watches and idle connections. */
  close(): void;
}

/**
 * An API error: the HTTP status and the `Status` object's reason and message
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind). The
 * message never carries credentials: it is the API server's text.
 */
export class ClusterError extends Error {
  readonly status: number;
  readonly reason: string | undefined;

  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.name = "ClusterError";
    this.status = status;
    this.reason = reason;
  }
}
