/** Test helper: plan a pipeline given as YAML text for an event, through the real pipeline package. */
import { type EventSpec, type PipelineEvent, type Plan, planLoaded } from "@conveyor/pipeline";
import { loadWithEvent } from "@conveyor/pipeline/testing/plan-text";

/** Plans `text`; throws the configuration's errors, so a test never plans an invalid file. */
export async function planYaml(
  text: string,
  spec: EventSpec = {},
): Promise<{ plan: Plan; event: PipelineEvent }> {
  const { loaded, event } = await loadWithEvent(text, spec);
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join("\n"));
  return { plan: planLoaded(loaded, event), event };
}
