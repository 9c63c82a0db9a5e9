/**
 * What every deploy route shares: its options (the store, the secret box, the deploy engine
 * when one is configured, the worker's kick), the caller check, the 503 answer when no engine is
 * configured, and lookups of a project's environments, resource sets and versions by the names
 * people use (a number is an id, anything else a URL-encoded name).
 */
import type { Deployer } from "@conveyor/deploy";
import type { FastifyReply } from "fastify";
import { sendError } from "../http/project-access.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type {
  EnvironmentRecord,
  ProjectRecord,
  ResourceSetRecord,
  ResourceSetVersionRecord,
  Store,
} from "../store/types.js";
import { type DeployAccess, deployAccess } from "./caller.js";
import type { DeploymentFeed } from "./feed.js";

export interface DeployApiOptions {
  store: Store;
  clock: () => number;
  readonly serverUrl: string;
  secrets: SecretBox;
  /** The deploy engine; undefined: routes that need it answer 503. */
  deployer?: Deployer;
  feed: DeploymentFeed;
  /** Tells the worker an environment has something queued. */
  kick: (environmentId: number) => void;
  /** Longest hold of a log long poll (ms); default 20 s. */
  logHoldMs?: number;
}

export interface DeployRoutes {
  options: DeployApiOptions;
  access: DeployAccess;
  /** The engine, or undefined after answering 503. */
  engine(reply: FastifyReply): Deployer | undefined;
}

export function deployRoutes(options: DeployApiOptions): DeployRoutes {
  return {
    options,
    access: deployAccess(options.store, options.clock),
    engine(reply) {
      if (!options.deployer) {
        sendError(reply, 503, "503 Service Unavailable - deploy engine not configured");
        return undefined;
      }
      return options.deployer;
    },
  };
}

/** The project's environment named by an id or a (URL-encoded) name. */
export async function environmentNamed(
  store: Store,
  project: ProjectRecord,
  given: string,
): Promise<EnvironmentRecord | undefined> {
  if (/^\d+$/.test(given)) {
    const found = await store.environments.byId(Number(given));
    return found?.projectId === project.id ? found : undefined;
  }
  const name = decodeURIComponent(given);
  return (await store.environments.ofProject(project.id)).find((e) => e.name === name);
}

/** The project's resource set named by an id or a name. */
export async function resourceSetNamed(
  store: Store,
  project: ProjectRecord,
  given: string,
): Promise<ResourceSetRecord | undefined> {
  const byName = await store.resourceSets.byName(project.id, decodeURIComponent(given));
  if (byName || !/^\d+$/.test(given)) return byName;
  const byId = await store.resourceSets.byId(Number(given));
  return byId?.projectId === project.id ? byId : undefined;
}

/** A set's version by digest, id, or `latest` (the newest pushed; also when `given` is absent). */
export async function versionNamed(
  store: Store,
  set: ResourceSetRecord,
  given: string | undefined,
): Promise<ResourceSetVersionRecord | undefined> {
  if (given === undefined || given === "" || given === "latest")
    return (await store.resourceSets.versions(set.id, { limit: 1 }))[0];
  if (/^\d+$/.test(given)) {
    const byId = await store.resourceSets.versionById(Number(given));
    return byId?.resourceSetId === set.id ? byId : undefined;
  }
  return store.resourceSets.version(set.id, decodeURIComponent(given));
}

/** Sends `{ message }` with the status and answers the reply (for `return` in handlers). */
export function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ message });
}
