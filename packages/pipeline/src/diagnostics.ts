import { positionOf } from "./source-map.js";

/** One finding about a pipeline configuration, as data. Terminal wording happens in the CLI. */
export interface Diagnostic {
  severity: "error" | "warning";
  /** GitLab's wording where GitLab has one, e.g. `jobs:build config contains unknown keys: scrip`. */
  message: string;
  /** The file the finding is about, as named in the include chain (e.g. `.gitlab-ci.yml`, `ci/build.yml`). */
  file: string;
  /** 1-based; absent only when no position is known (e.g. a missing file). */
  line?: number;
  column?: number;
  /** Keyword path in GitLab's style: `jobs:build:script`, `include`, `workflow:rules`. */
  path: string;
}

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Thrown by a loading stage that cannot go on; carries every diagnostic found so far. */
export class ConfigError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join("; "));
    this.name = "ConfigError";
    this.diagnostics = diagnostics;
  }
}

export function errorAt(
  message: string,
  path: string,
  where: SourcePosition | undefined,
  fallbackFile: string,
): Diagnostic {
  return where
    ? { severity: "error", message, file: where.file, line: where.line, column: where.column, path }
    : { severity: "error", message, file: fallbackFile, path };
}

/** An error about `owner[key]` (or `owner` itself), at the position the loader recorded. */
export function errorAtKey(
  message: string,
  path: string,
  owner: unknown,
  key: string | number | undefined,
  file: string,
): Diagnostic {
  return errorAt(message, path, positionOf(owner, key), file);
}
