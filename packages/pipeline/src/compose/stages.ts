/**
 * The pipeline's stages as GitLab's `EdgeStagesInjector` builds them: the declared `stages`
 * (or GitLab's defaults build, test, deploy), with `.pre` first and `.post` last.
 * Docs: https://docs.gitlab.com/ci/yaml/#stages
 */
export const DEFAULT_STAGES = ["build", "test", "deploy"] as const;
/** A job without `stage` runs in `test`. */
export const DEFAULT_JOB_STAGE = "test";

export function pipelineStages(declared: unknown): string[] {
  // Nested lists (from YAML aliases of stage lists) are flattened, as GitLab does.
  const base = Array.isArray(declared)
    ? declared.flat(10).map((s) => String(s))
    : [...DEFAULT_STAGES];
  const inner = base.filter((stage) => stage !== ".pre" && stage !== ".post");
  return [".pre", ...inner, ".post"];
}
