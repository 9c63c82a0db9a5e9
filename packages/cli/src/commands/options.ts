import { parseArgs } from "node:util";
/** Options shared by the commands that read a pipeline and an event. */
import type { EventSpec } from "@conveyor/pipeline";
import { UsageError } from "../io.js";

export const FILE_OPTION = { file: { type: "string", short: "f" } } as const;

export const EVENT_OPTIONS = {
  branch: { type: "string" },
  tag: { type: "string" },
  source: { type: "string" },
  var: { type: "string", multiple: true },
  changed: { type: "string", multiple: true },
  "default-branch": { type: "string" },
  "no-remote": { type: "boolean" },
} as const;

/** `lint` and `plan` take the same options: the file, the event, `--json` and `--help`. */
export function parsePipelineCommand(args: string[]) {
  return usageErrors(() =>
    parseArgs({
      args,
      options: {
        ...FILE_OPTION,
        ...EVENT_OPTIONS,
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
}

/** Runs an argv parse, turning its errors into usage errors (exit 2). */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** What the event flags say, as overrides of what git says. */
export function eventOverrides(values: {
  branch?: string | undefined;
  tag?: string | undefined;
  source?: string | undefined;
  "default-branch"?: string | undefined;
  var?: string[] | undefined;
  changed?: string[] | undefined;
}): EventSpec {
  return {
    branch: values.branch,
    tag: values.tag,
    source: values.source,
    defaultBranch: values["default-branch"],
    variables: parseVars(values.var),
    changed: values.changed,
  } as EventSpec;
}

/** `KEY=VALUE` pairs from repeated `--var`. */
export function parseVars(pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var takes KEY=VALUE, got '${pair}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The file named by `--file` or the one positional argument; undefined for the default. */
export function pipelineFile(
  values: { file?: string | undefined },
  positionals: string[],
): string | undefined {
  if (positionals.length > 1) {
    throw new UsageError(`expected at most one file, got ${positionals.join(" ")}`);
  }
  if (values.file && positionals[0] && values.file !== positionals[0]) {
    throw new UsageError("give the file either as --file or as the argument, not both");
  }
  return values.file ?? positionals[0];
}
