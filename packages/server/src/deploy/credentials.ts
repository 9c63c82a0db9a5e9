/**
 * Cluster credentials at the edges: read from a request body (a kubeconfig, or an API server
 * URL with a service-account token and CA), sealed with the server's secret box before the
 * store sees them, opened only for an apply or a diff, and scrubbed from every text that leaves
 * the deploy engine (log lines, error messages). Nothing here ever prints a credential.
 */
import type { ClusterCredentials } from "@conveyor/deploy";
import type { SecretBox } from "../secrets/secret-box.js";
import type { ClusterRecord } from "../store/types.js";

export type CredentialsInput =
  { credentials: ClusterCredentials; kind: ClusterRecord["credentialKind"] } | { error: string };

/**
 * The credentials in a cluster's request body: `kubeconfig`, or `server` + `token` (+ `ca_data`,
 * PEM), with `insecure_skip_tls_verify` for test clusters.
 */
export function credentialsFromBody(body: Record<string, unknown>): CredentialsInput {
  const text = (key: string) =>
    typeof body[key] === "string" && body[key] !== "" ? (body[key] as string) : undefined;
  const insecure = body.insecure_skip_tls_verify === true;
  const kubeconfig = text("kubeconfig");
  const server = text("server");
  const token = text("token");
  const caData = text("ca_data");
  if (kubeconfig !== undefined) {
    if (server !== undefined || token !== undefined)
      return { error: "give either kubeconfig or server and token, not both" };
    return {
      kind: "kubeconfig",
      credentials: { kubeconfig, ...(insecure ? { insecureSkipTlsVerify: true } : {}) },
    };
  }
  if (server === undefined || token === undefined)
    return { error: "kubeconfig, or server and token, are required" };
  if (!/^https?:\/\/\S+$/.test(server)) return { error: "server must be an http(s) URL" };
  return {
    kind: "token",
    credentials: {
      server,
      token,
      ...(caData !== undefined ? { caData } : {}),
      ...(insecure ? { insecureSkipTlsVerify: true } : {}),
    },
  };
}

export function sealCredentials(secrets: SecretBox, credentials: ClusterCredentials): string {
  return secrets.seal(JSON.stringify(credentials));
}

export function openCredentials(secrets: SecretBox, cluster: ClusterRecord): ClusterCredentials {
  return JSON.parse(secrets.open(cluster.credentialsCiphertext)) as ClusterCredentials;
}

/** Kubeconfig keys whose values are secret (tokens, keys, passwords, certificates). */
const KUBECONFIG_SECRET_KEYS =
  /^\s*-?\s*(token|client-key-data|client-certificate-data|password|certificate-authority-data|id-token|refresh-token|access-token)\s*:\s*["']?([^"'\s#]+)/gm;

/** The secret strings in credentials, longest first (what `redact` removes). */
export function secretsOf(credentials: ClusterCredentials): string[] {
  const found = new Set<string>();
  if (credentials.token) found.add(credentials.token);
  if (credentials.caData) found.add(credentials.caData.trim());
  if (credentials.kubeconfig) {
    for (const match of credentials.kubeconfig.matchAll(KUBECONFIG_SECRET_KEYS)) {
      if (match[2]) found.add(match[2]);
    }
  }
  // Very short values would mask ordinary words; credentials are never that short.
  return [...found].filter((secret) => secret.length >= 8).sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by `[MASKED]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[MASKED]");
  return out;
}
