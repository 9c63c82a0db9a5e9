/** Test helper: lint and plan a pipeline given as text, with optional extra files. */
import type { PipelineEvent } from "../event.js";
import { buildEvent, type EventSpec } from "../event-spec.js";
import { type LoadedPipeline, loadPipeline, planLoaded } from "../load-pipeline.js";
import type { Plan } from "../plan/plan.js";
import { type MemorySourceFiles, memorySource } from "./memory-source.js";

export async function loadWithEvent(
  text: string,
  spec: EventSpec = {},
  files: MemorySourceFiles = {},
): Promise<{ loaded: LoadedPipeline; event: PipelineEvent }> {
  const local = { ".gitlab-ci.yml": text, ...(files.local ?? {}) };
  const event = buildEvent({ files: Object.keys(local), ...spec });
  const source = memorySource({ ...files, local });
  const loaded = await loadPipeline(text, { file: ".gitlab-ci.yml", source, event });
  return { loaded, event };
}

export async function loadText(
  text: string,
  spec?: EventSpec,
  files?: MemorySourceFiles,
): Promise<LoadedPipeline> {
  return (await loadWithEvent(text, spec, files)).loaded;
}

export async function planText(
  text: string,
  spec?: EventSpec,
  files?: MemorySourceFiles,
): Promise<Plan> {
  const { loaded, event } = await loadWithEvent(text, spec, files);
  return planLoaded(loaded, event);
}

/** `name → when` for a compact assertion. */
export function whens(plan: Plan): Record<string, string> {
  return Object.fromEntries(plan.jobs.map((job) => [job.name, job.when]));
}
