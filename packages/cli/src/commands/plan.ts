/** `conveyor plan [FILE] [event flags] [--json]`: the pipeline GitLab would create. */

import { type Plan, planLoaded, planToJson } from "@conveyor/pipeline";
import type { Io } from "../io.js";
import { formatDiagnostic } from "./lint.js";
import { loadForCommand } from "./load.js";
import { eventOverrides, parsePipelineCommand, pipelineFile } from "./options.js";
import { renderTable } from "./table.js";

const USAGE = `usage: conveyor plan [FILE] [--branch NAME | --tag NAME]
  [--source push|web|api|schedule|trigger|merge_request_event|pipeline]
  [--var KEY=VALUE]... [--changed PATH]... [--default-branch NAME] [--no-remote] [--json]
`;

export async function planCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parsePipelineCommand(args);
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const file = pipelineFile(values, positionals);
  const { loaded, event, compareTo } = await loadForCommand({
    cwd: io.cwd,
    repository: io.repository,
    file,
    overrides: eventOverrides(values),
    remote: !values["no-remote"],
    extraCaCertsFile: io.extraCaCertsFile,
    stderr: io.stderr,
  });
  const plan = planLoaded(loaded, event, { compareTo });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(planToJson(plan), null, 2)}\n`);
  } else {
    io.stdout.write(describePlan(plan, event.ref.kind, event.ref.name, event.source));
    for (const d of plan.errors) io.stderr.write(`${formatDiagnostic(d)}\n`);
  }
  return plan.errors.length > 0 ? 1 : 0;
}

function describePlan(plan: Plan, kind: string, ref: string, source: string): string {
  const head = `Pipeline for ${source} of ${kind} ${ref}${plan.name ? ` — ${plan.name}` : ""}\n`;
  if (!plan.created) return `${head}No pipeline: ${plan.reason ?? "not created"}\n`;
  const rows = plan.jobs.map((job) => [
    job.stage,
    job.name,
    job.when + (job.startIn ? ` (in ${job.startIn})` : ""),
    job.allowFailure ? "yes" : "no",
    job.needs === null ? "(stage order)" : job.needs.join(", ") || "(none)",
  ]);
  return `${head}${renderTable(["STAGE", "JOB", "WHEN", "ALLOW FAILURE", "NEEDS"], rows)}`;
}
