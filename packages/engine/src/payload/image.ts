/**
 * `image:` and `services:` as the job payload carries them (runner protocol §3.5). Names are
 * expanded with the job's variables, as the runner does before it pulls.
 * Docs: https://docs.gitlab.com/ci/yaml/#image , https://docs.gitlab.com/ci/services/
 */
import type { JobImage, JobService, PullPolicy } from "@conveyor/protocol";
import { stringList } from "./keyword-values.js";
import { type ConfigMap, isMap } from "@conveyor/pipeline";

type Expand = (value: string) => string;

export function imageOf(value: unknown, expand: Expand): JobImage | null {
  if (typeof value === "string") return { name: expand(value) };
  if (!isMap(value) || typeof value.name !== "string") return null;
  return imageFields(value, expand);
}

export function servicesOf(value: unknown, expand: Expand): JobService[] {
  if (!Array.isArray(value)) return [];
  const services: JobService[] = [];
  for (const item of value) {
    if (typeof item === "string") services.push({ name: expand(item) });
    else if (isMap(item) && typeof item.name === "string") {
      const service: JobService = imageFields(item, expand);
      if (typeof item.alias === "string") service.alias = item.alias;
      if (item.command !== undefined) service.command = stringList(item.command);
      if (isMap(item.variables)) {
        service.variables = Object.entries(item.variables).map(([key, v]) => ({
          key,
          value: isMap(v) ? String(v.value ?? "") : String(v),
        }));
      }
      services.push(service);
    }
  }
  return services;
}

function imageFields(value: ConfigMap, expand: Expand): JobImage {
  const image: JobImage = { name: expand(String(value.name)) };
  if (value.entrypoint !== undefined) image.entrypoint = stringList(value.entrypoint);
  if (value.pull_policy !== undefined) {
    image.pull_policy = stringList(value.pull_policy) as PullPolicy[];
  }
  if (isMap(value.docker)) {
    const docker: { platform?: string; user?: string } = {};
    if (value.docker.platform !== undefined) docker.platform = String(value.docker.platform);
    if (value.docker.user !== undefined) docker.user = String(value.docker.user);
    image.executor_opts = { docker };
  }
  if (isMap(value.kubernetes) && value.kubernetes.user !== undefined) {
    image.executor_opts = {
      ...image.executor_opts,
      kubernetes: { user: String(value.kubernetes.user) },
    };
  }
  return image;
}
