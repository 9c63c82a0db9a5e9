/** `conveyor lint [FILE] [--json]`: exit 0 when valid, 1 with `FILE:LINE:COL: message` lines when not. */

import { type Diagnostic, diagnosticToJson } from "@conveyor/pipeline";
import type { Io } from "../io.js";
import { loadForCommand } from "./load.js";
import { parsePipelineCommand, parseVars, pipelineFile } from "./options.js";

export async function lintCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parsePipelineCommand(args);
  if (values.help) {
    io.stdout.write("usage: conveyor lint [FILE] [--file FILE] [--json] [--no-remote]\n");
    return 0;
  }
  const file = pipelineFile(values, positionals);
  const { loaded } = await loadForCommand({
    cwd: io.cwd,
    repository: io.repository,
    file,
    overrides: { variables: parseVars(values.var) },
    remote: !values["no-remote"],
    extraCaCertsFile: io.extraCaCertsFile,
    stderr: io.stderr,
  });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ valid: errors.length === 0, errors: errors.map(diagnosticToJson) }, null, 2)}\n`,
    );
  } else {
    for (const d of loaded.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    if (errors.length === 0) io.stdout.write(`${file ?? ".gitlab-ci.yml"}: valid\n`);
  }
  return errors.length === 0 ? 0 : 1;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
  return `${where}: ${d.severity === "warning" ? "warning: " : ""}${d.message}`;
}
