/**
 * The one adapter of the Cluster port, on @kubernetes/client-node: the client's `KubeConfig`
 * loads the credentials (a kubeconfig, or server + token + CA) and produces each request's TLS
 * material and auth headers (`applyToHTTPSOptions`: client certificates, bearer tokens, exec
 * and OIDC plugins). The requests themselves go out through node:https with the raw JSON the
 * API server speaks, because the client's generic `KubernetesObjectApi` passes bodies and
 * responses through its typed models (`ObjectSerializer`, src/object.ts), which drops fields
 * the models do not know — a typo in a manifest would vanish instead of failing — and turns
 * timestamps into Dates. Server-side apply must send the intent unchanged
 * (kubernetes-deploy-notes.md b.1) and diff must see the stored object.
 *
 * Impersonation (`Impersonate-User`, one `Impersonate-Group` header per group:
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation)
 * is set per request; node:http sends repeated headers as separate lines, so the group list is
 * not comma-joined (the fetch-based client's known issue, notes g.1).
 */
import { KubeConfig } from "@kubernetes/client-node";
import http from "node:http";
import https from "node:https";
import type { ClusterCredentials, DeployTarget, KubeObject, ObjectRef } from "../types.js";
import { groupOf } from "../refs.js";
import {
  type ApplyOptions,
  type Cluster,
  ClusterError,
  type DeleteOptions,
  type ListOptions,
  type LogOptions,
  type ResourceInfo,
  type WatchEventType,
  type WatchHandle,
} from "./port.js";

/** How long one ordinary API request may take. */
const REQUEST_TIMEOUT_MS = 30_000;

/** A KubeConfig for the credentials (secret material stays inside it). */
export function kubeConfigFor(credentials: ClusterCredentials): KubeConfig {
  const config = new KubeConfig();
  if (credentials.kubeconfig) {
    try {
      config.loadFromString(credentials.kubeconfig);
    } catch (error) {
      // The parser's message quotes the text around the error, which may be a key or a token.
      const line = (error as { mark?: { line?: unknown } }).mark?.line;
      throw new Error(
        `the cluster's kubeconfig cannot be read${typeof line === "number" ? ` (YAML error at line ${line + 1})` : ""}`,
      );
    }
    return config;
  }
  if (!credentials.server) throw new Error("cluster credentials need a kubeconfig or a server URL");
  const ca = credentials.caData?.trim();
  config.loadFromClusterAndUser(
    {
      name: "conveyor",
      server: credentials.server,
      skipTLSVerify: credentials.insecureSkipTlsVerify === true,
      // KubeConfig reads caData as base64 (certificate-authority-data); ours is PEM.
      ...(ca
        ? { caData: ca.startsWith("-----BEGIN") ? Buffer.from(ca).toString("base64") : ca }
        : {}),
    },
    { name: "conveyor", ...(credentials.token ? { token: credentials.token } : {}) },
  );
  return config;
}

interface RequestSpec {
  method: "GET" | "PATCH" | "DELETE" | "POST";
  path: string;
  query?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  timeoutMs?: number;
}

interface Response {
  status: number;
  text: string;
}

type Headers = Record<string, string | string[]>;

interface Connection {
  base: URL;
  module: typeof https | typeof http;
  agent: http.Agent | undefined;
  headers: Headers;
}

function statusError(status: number, text: string, what: string): ClusterError {
  let message = "";
  let reason: string | undefined;
  try {
    const body = JSON.parse(text) as { message?: unknown; reason?: unknown };
    if (typeof body.message === "string") message = body.message;
    if (typeof body.reason === "string") reason = body.reason;
  } catch {
    message = text.trim().slice(0, 500);
  }
  return new ClusterError(status, `${what}: ${message || `HTTP ${status}`}`, reason);
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

class KubeCluster implements Cluster {
  private readonly config: KubeConfig;
  private readonly impersonate: DeployTarget["impersonate"];
  private readonly discovery = new Map<string, Promise<ResourceInfo[] | undefined>>();
  private readonly open = new Set<http.ClientRequest>();
  private agent: http.Agent | undefined;

  constructor(target: Pick<DeployTarget, "credentials" | "impersonate">) {
    this.config = kubeConfigFor(target.credentials);
    this.impersonate = target.impersonate;
  }

  /** Auth headers are computed per request (tokens from plugins expire); the TLS agent is kept. */
  private async connection(): Promise<Connection> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const options: https.RequestOptions & { headers: Headers } = { headers: {} };
    await this.config.applyToHTTPSOptions(options);
    const base = new URL(cluster.server);
    const headers: Headers = {};
    for (const [key, value] of Object.entries(options.headers)) {
      if (value !== undefined) headers[key] = value;
    }
    if (options.auth)
      headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    if (this.impersonate) {
      headers["Impersonate-User"] = this.impersonate.user;
      if (this.impersonate.groups && this.impersonate.groups.length > 0) {
        headers["Impersonate-Group"] = [...this.impersonate.groups];
      }
    }
    if (base.protocol === "http:") return { base, module: http, agent: undefined, headers };
    if (cluster.proxyUrl)
      return { base, module: https, agent: options.agent as http.Agent, headers };
    this.agent ??= new https.Agent({
      keepAlive: true,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.cert !== undefined ? { cert: options.cert } : {}),
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.rejectUnauthorized !== undefined
        ? { rejectUnauthorized: options.rejectUnauthorized }
        : {}),
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
    });
    return { base, module: https, agent: this.agent, headers };
  }

  private url(base: URL, path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(base.toString());
    url.pathname = `${base.pathname.replace(/\/$/, "")}${path}`;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    return url;
  }

  private async send(request: RequestSpec): Promise<Response> {
    const connection = await this.connection();
    const url = this.url(connection.base, request.path, request.query);
    const headers: Headers = { ...connection.headers, Accept: "application/json" };
    if (request.body !== undefined) {
      headers["Content-Type"] = request.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(request.body));
    }
    return new Promise<Response>((resolve, reject) => {
      const req = connection.module.request(
        url,
        {
          method: request.method,
          headers,
          agent: connection.agent,
          timeout: request.timeoutMs ?? REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () =>
        req.destroy(
          new Error(
            `${request.method} ${url.pathname}: no answer within ${(request.timeoutMs ?? REQUEST_TIMEOUT_MS) / 1000} s`,
          ),
        ),
      );
      req.on("error", (error) =>
        reject(new ClusterError(0, `${request.method} ${url.pathname}: ${error.message}`)),
      );
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
  }

  private async json(request: RequestSpec, what: string): Promise<unknown> {
    const response = await this.send(request);
    if (response.status < 200 || response.status >= 300)
      throw statusError(response.status, response.text, what);
    return JSON.parse(response.text) as unknown;
  }

  private static prefix(apiVersion: string): string {
    return groupOf(apiVersion) === "" ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
  }

  async resource(
    apiVersion: string,
    kind: string,
    options: { refresh?: boolean } = {},
  ): Promise<ResourceInfo | undefined> {
    const load = async (): Promise<ResourceInfo[] | undefined> => {
      const response = await this.send({ method: "GET", path: KubeCluster.prefix(apiVersion) });
      if (response.status === 404) return undefined;
      if (response.status !== 200)
        throw statusError(response.status, response.text, `discovery of ${apiVersion}`);
      const body = JSON.parse(response.text) as {
        resources?: { name: string; kind: string; namespaced: boolean }[];
      };
      return (body.resources ?? [])
        .filter((resource) => !resource.name.includes("/"))
        .map((resource) => ({
          apiVersion,
          kind: resource.kind,
          plural: resource.name,
          namespaced: resource.namespaced,
        }));
    };
    let cached = this.discovery.get(apiVersion);
    if (!cached || options.refresh) {
      cached = load();
      this.discovery.set(apiVersion, cached);
      cached.catch(() => this.discovery.delete(apiVersion));
    }
    const found = (await cached)?.find((resource) => resource.kind === kind);
    if (!found && !options.refresh) {
      // A CRD installed since the group was read: read it once more.
      const fresh = load();
      this.discovery.set(apiVersion, fresh);
      return (await fresh)?.find((resource) => resource.kind === kind);
    }
    return found;
  }

  private async info(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const found = await this.resource(apiVersion, kind);
    if (!found)
      throw new ClusterError(
        404,
        `the cluster does not serve ${kind} in ${apiVersion}`,
        "NotFound",
      );
    return found;
  }

  private async objectPath(ref: ObjectRef): Promise<string> {
    const info = await this.info(ref.apiVersion, ref.kind);
    const prefix = KubeCluster.prefix(ref.apiVersion);
    if (!info.namespaced) return `${prefix}/${info.plural}/${segment(ref.name)}`;
    if (!ref.namespace)
      throw new Error(`${ref.kind} ${ref.name} is namespaced but names no namespace`);
    return `${prefix}/namespaces/${segment(ref.namespace)}/${info.plural}/${segment(ref.name)}`;
  }

  private async collectionPath(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
  ): Promise<string> {
    const info = await this.info(apiVersion, kind);
    const prefix = KubeCluster.prefix(apiVersion);
    return info.namespaced && namespace
      ? `${prefix}/namespaces/${segment(namespace)}/${info.plural}`
      : `${prefix}/${info.plural}`;
  }

  async apply(object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    const ref: ObjectRef = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
    };
    if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
    const path = await this.objectPath(ref);
    // https://kubernetes.io/docs/reference/using-api/server-side-apply/ (notes b.1, b.2):
    // PATCH with application/apply-patch+yaml (JSON is YAML), fieldManager required, force to
    // take over fields others changed, Strict field validation so unknown fields fail.
    return (await this.json(
      {
        method: "PATCH",
        path,
        query: {
          fieldManager: options.fieldManager,
          force: "true",
          fieldValidation: "Strict",
          dryRun: options.dryRun ? "All" : undefined,
        },
        body: JSON.stringify(object),
        contentType: "application/apply-patch+yaml",
      },
      `apply ${object.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`,
    )) as KubeObject;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const path = await this.objectPath(ref);
    const response = await this.send({ method: "GET", path });
    if (response.status === 404) return undefined;
    if (response.status !== 200)
      throw statusError(response.status, response.text, `get ${ref.kind} ${ref.name}`);
    return JSON.parse(response.text) as KubeObject;
  }

  async list(apiVersion: string, kind: string, options: ListOptions = {}): Promise<KubeObject[]> {
    const path = await this.collectionPath(apiVersion, kind, options.namespace);
    const body = (await this.json(
      {
        method: "GET",
        path,
        query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
      },
      `list ${kind}`,
    )) as { items?: KubeObject[] };
    // List items carry no apiVersion/kind (https://kubernetes.io/docs/reference/using-api/api-concepts/#collections).
    return (body.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
  }

  async delete(ref: ObjectRef, options: DeleteOptions): Promise<KubeObject | undefined> {
    const path = await this.objectPath(ref);
    const body: Record<string, unknown> = {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: options.propagationPolicy,
    };
    if (options.uid) body.preconditions = { uid: options.uid };
    const response = await this.send({ method: "DELETE", path, body: JSON.stringify(body) });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) {
      throw statusError(response.status, response.text, `delete ${ref.kind} ${ref.name}`);
    }
    return JSON.parse(response.text) as KubeObject;
  }

  watch(
    apiVersion: string,
    kind: string,
    options: ListOptions,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onClose?: (error?: Error) => void,
  ): WatchHandle {
    let stopped = false;
    let request: http.ClientRequest | undefined;
    const close = (error?: Error): void => {
      if (request) this.open.delete(request);
      if (!stopped) {
        stopped = true;
        onClose?.(error);
      }
    };
    void (async () => {
      const connection = await this.connection();
      const path = await this.collectionPath(apiVersion, kind, options.namespace);
      if (stopped) return;
      const url = this.url(connection.base, path, {
        watch: "true",
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        timeoutSeconds: "300",
      });
      request = connection.module.request(
        url,
        { method: "GET", headers: connection.headers, agent: connection.agent },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            close(new ClusterError(res.statusCode ?? 0, `watch ${kind}: HTTP ${res.statusCode}`));
            return;
          }
          let buffered = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf("\n");
            while (newline >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              newline = buffered.indexOf("\n");
              if (line === "") continue;
              try {
                const event = JSON.parse(line) as { type: WatchEventType; object: KubeObject };
                if (!stopped) onEvent(event.type, event.object);
              } catch {
                // a line that is not JSON: skip it, the next poll re-reads the objects anyway
              }
            }
          });
          res.on("end", () => close());
          res.on("error", (error) => close(error));
        },
      );
      this.open.add(request);
      request.on("error", (error) => close(error));
      request.end();
    })().catch((error: unknown) =>
      close(error instanceof Error ? error : new Error(String(error))),
    );
    return {
      stop: () => {
        stopped = true;
        if (request) {
          this.open.delete(request);
          request.destroy();
        }
      },
    };
  }

  async events(
    namespace: string,
    involved: { uid?: string; kind?: string; name?: string },
  ): Promise<KubeObject[]> {
    const selectors: string[] = [];
    if (involved.uid) selectors.push(`involvedObject.uid=${involved.uid}`);
    else {
      if (involved.kind) selectors.push(`involvedObject.kind=${involved.kind}`);
      if (involved.name) selectors.push(`involvedObject.name=${involved.name}`);
    }
    return this.list("v1", "Event", { namespace, fieldSelector: selectors.join(",") });
  }

  async podLogs(
    namespace: string,
    pod: string,
    container: string,
    options: LogOptions,
  ): Promise<string> {
    const response = await this.send({
      method: "GET",
      path: `/api/v1/namespaces/${segment(namespace)}/pods/${segment(pod)}/log`,
      query: {
        container,
        tailLines: String(options.tailLines),
        previous: options.previous ? "true" : undefined,
      },
    });
    if (response.status !== 200)
      throw statusError(response.status, response.text, `log of ${pod}/${container}`);
    return response.text;
  }

  close(): void {
    for (const request of this.open) request.destroy();
    this.open.clear();
    this.agent?.destroy();
    this.agent = undefined;
  }
}

/** A Cluster for a deploy target: its credentials and, when set, its impersonation. */
export function createKubeCluster(
  target: Pick<DeployTarget, "credentials" | "impersonate">,
): Cluster {
  return new KubeCluster(target);
}
