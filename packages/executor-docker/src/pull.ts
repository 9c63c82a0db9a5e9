/**
 * Gets an image onto the engine by the job's pull policies, with the runner's log lines.
 *
 * GitLab facts (gitlab-runner `executors/docker/internal/pull/manager.go`,
 * https://docs.gitlab.com/runner/executors/docker/#configure-how-runners-pull-images):
 * - `never`: only a local image; `if-not-present`: the local image when there is one, else pull;
 *   `always`: pull every time;
 * - several policies are tried in order, the next when one fails
 *   ("Attempt #2: Trying "if-not-present" pull policy"); when all fail the job fails;
 * - registry credentials come from the job payload's `credentials` of type `registry`.
 */
import type { JobPayload, PullPolicy } from "@conveyor/protocol";
import { ExecutorError } from "@conveyor/runner";
import { engineMessage, type EngineApi, type ImageInfo, type RegistryAuth } from "./engine-api.js";
import { pullParameters, registryHost, type ImageReference } from "./image-ref.js";

export interface ImageRequest {
  name: string;
  reference: ImageReference;
  policies: PullPolicy[];
  platform?: string;
}

export async function ensureImage(
  api: EngineApi,
  request: ImageRequest,
  context: {
    credentials: JobPayload["credentials"];
    log: (line: string) => void;
    signal: AbortSignal;
  },
): Promise<ImageInfo> {
  let lastError = "";
  for (const [index, policy] of request.policies.entries()) {
    if (index > 0) context.log(`Attempt #${index + 1}: Trying "${policy}" pull policy`);
    try {
      const image = await imageByPolicy(api, request, policy, context);
      const digest = image.RepoDigests?.[0];
      context.log(
        `Using docker image ${image.Id} for ${request.name}${digest ? ` with digest ${digest}` : ""} ...`,
      );
      return image;
    } catch (error) {
      if (context.signal.aborted)
        throw new ExecutorError("the job was canceled while pulling images");
      lastError = error instanceof Error ? error.message : String(error);
      context.log(`WARNING: Failed to pull image with policy "${policy}": ${lastError}`);
    }
  }
  throw new ExecutorError(
    `failed to pull image "${request.name}" with specified policies [${request.policies.join(" ")}]: ${lastError}`,
  );
}

async function imageByPolicy(
  api: EngineApi,
  request: ImageRequest,
  policy: PullPolicy,
  context: {
    credentials: JobPayload["credentials"];
    log: (line: string) => void;
    signal: AbortSignal;
  },
): Promise<ImageInfo> {
  const local = await api.inspectImage(request.name);
  if (policy === "never") {
    if (!local) {
      throw new Error(
        `image "${request.name}" is not present on the Docker engine and the pull policy "never" forbids pulling it`,
      );
    }
    return local;
  }
  if (local && policy === "if-not-present") {
    context.log(`Using locally found image version due to "${policy}" pull policy`);
    return local;
  }
  const auth = registryAuth(request.reference, context.credentials);
  if (auth) context.log("Authenticating with credentials from job payload (GitLab Registry)");
  context.log(`Pulling docker image ${request.name} ...`);
  try {
    await api.pullImage(pullParameters(request.reference), {
      platform: request.platform,
      auth,
      signal: context.signal,
    });
  } catch (error) {
    throw new Error(engineMessage(error));
  }
  const pulled = await api.inspectImage(request.name);
  if (!pulled) throw new Error(`image "${request.name}" is missing after its pull`);
  return pulled;
}

const DOCKER_HUB_HOSTS = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/** Registry credentials from the payload for the image's registry (never logged). */
export function registryAuth(
  reference: ImageReference,
  credentials: JobPayload["credentials"],
): RegistryAuth | undefined {
  const host = registryHost(reference);
  const hosts = DOCKER_HUB_HOSTS.includes(host) ? DOCKER_HUB_HOSTS : [host];
  for (const credential of credentials ?? []) {
    if (credential.type !== "registry") continue;
    const url = credential.url.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
    if (hosts.includes(url)) {
      return {
        username: credential.username,
        password: credential.password,
        serveraddress: credential.url,
      };
    }
  }
  return undefined;
}
