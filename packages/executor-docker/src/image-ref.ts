/**
 * Image names as the Docker executor reads them: the parts of a reference
 * (`[registry[:port]/]path[:tag][@digest]`), what to ask the engine to pull, and the default
 * hostnames of a service.
 *
 * GitLab facts: a service is reachable under two aliases made from its image name: everything
 * after `:` (tag) is dropped, a registry port is dropped, then `/` becomes `__` for the first alias
 * and `-` for the second (https://docs.gitlab.com/ci/services/#accessing-the-services;
 * gitlab-runner `executors/docker/executor_docker.go`, `splitServiceAndVersion`). A name without a
 * tag or digest is pulled as `:latest` (gitlab-runner `executors/docker/internal/pull/manager.go`).
 */

export interface ImageReference {
  /** Registry host with its port, when the name starts with one (`registry.example.com:5000`). */
  registry?: string;
  /** Repository path after the registry (`group/image`). */
  path: string;
  tag?: string;
  /** `sha256:…` */
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const REGISTRY =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** Parses a Docker image reference; null when it is not one. */
export function parseImageReference(name: string): ImageReference | null {
  let rest = name.trim();
  if (rest === "" || rest !== name) return null;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return null;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return null;
  }
  const parts = rest.split("/");
  let registry: string | undefined;
  const first = parts[0]!;
  if (
    parts.length > 1 &&
    (first.includes(".") ||
      first.includes(":") ||
      first === "localhost" ||
      first !== first.toLowerCase())
  ) {
    registry = first;
    parts.shift();
    if (!REGISTRY.test(registry)) return null;
  }
  if (parts.length === 0 || !parts.every((part) => COMPONENT.test(part))) return null;
  const reference: ImageReference = { path: parts.join("/") };
  if (registry !== undefined) reference.registry = registry;
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

/** The engine's `POST /images/create` parameters: `fromImage` and `tag` (a tag or a digest). */
export function pullParameters(reference: ImageReference): { fromImage: string; tag: string } {
  const fromImage = reference.registry ? `${reference.registry}/${reference.path}` : reference.path;
  return { fromImage, tag: reference.digest ?? reference.tag ?? "latest" };
}

/** The service's name without tag, digest and registry port (gitlab-runner's "service"). */
export function serviceName(reference: ImageReference): string {
  const host = reference.registry?.replace(/:[0-9]+$/, "");
  return host ? `${host}/${reference.path}` : reference.path;
}

/** `tag`, or `@sha256:…`, or `latest`: how the runner names a service's version in its log. */
export function serviceVersion(reference: ImageReference): string {
  if (reference.digest) return `@${reference.digest}`;
  return reference.tag ?? "latest";
}

/** The service's default hostnames: `/` → `__`, then `/` → `-` when that differs. */
export function defaultServiceAliases(reference: ImageReference): string[] {
  const service = serviceName(reference);
  const primary = service.replaceAll("/", "__");
  const secondary = service.replaceAll("/", "-");
  return primary === secondary ? [primary] : [primary, secondary];
}

/** A service's `alias:` value: one alias or several separated by commas or spaces. */
export function splitAliases(alias: string | null | undefined): string[] {
  if (!alias) return [];
  return alias.split(/[\s,]+/).filter((item) => item !== "");
}

/** The registry host a reference pulls from (`docker.io` when the name has none). */
export function registryHost(reference: ImageReference): string {
  return reference.registry ?? "docker.io";
}
