/** Test helper: plan a pipeline given as YAML text for an event, through the real pipeline package. */
import {
  buildEvent,
  type ConfigSource,
  type EventSpec,
  loadPipeline,
  type PipelineEvent,
  type Plan,
  planLoaded,
} from "@conveyor/pipeline";

export async function planYaml(
  text: string,
  spec: EventSpec = {},
): Promise<{ plan: Plan; event: PipelineEvent }> {
  const event = buildEvent({ files: [".gitlab-ci.yml"], ...spec });
  const source: ConfigSource = {
    readLocal: async (path) => (path.replace(/^\/+/, "") === ".gitlab-ci.yml" ? text : undefined),
    listLocal: async () => [".gitlab-ci.yml"],
    readTemplate: async () => undefined,
    readRemote: async (url) => {
      throw new Error(`remote includes are disabled (${url})`);
    },
    readProject: async () => undefined,
    readComponent: async () => undefined,
  };
  const loaded = await loadPipeline(text, { file: ".gitlab-ci.yml", source, event });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join("\n"));
  return { plan: planLoaded(loaded, event), event };
}
