/**
 * What an included file is called and where its own includes are looked up
 * (File::*#expand_context_attrs in Gitlab::Ci::Config::External): a local file stays in its
 * includer's project, a project file and a component move to their project, remote and
 * template files have no project and no variables (docs.gitlab.com/ci/yaml/#includeremote).
 */
import type { Location } from "./locations.js";
import { parseComponentAddress } from "./read.js";
import type { FileContext } from "./types.js";

export interface FileName {
  /** The name diagnostics use: `ci/a.yml`, `group/project:ci/a.yml`, a URL, a template name. */
  name: string;
  project?: string;
  ref?: string;
}

export function describeFile(location: Location, context: FileContext): FileName {
  if (location.type === "project") {
    return {
      name: `${location.project}:${location.location}`,
      project: location.project,
      ref: location.ref,
    };
  }
  if (location.type === "local" && context.kind === "project") {
    return {
      name: `${context.project}:${location.location}`,
      project: context.project,
      ref: context.ref,
    };
  }
  return { name: location.location };
}

export function childContext(location: Location, context: FileContext): FileContext {
  switch (location.type) {
    case "local":
      return context;
    case "project":
      return { kind: "project", project: location.project ?? "", ref: location.ref };
    case "component": {
      const address = parseComponentAddress(location.location);
      return { kind: "project", project: address.project, ref: address.reference };
    }
    default:
      return { kind: "public" };
  }
}

export function contextKey(context: FileContext): string {
  return context.kind === "project"
    ? `project:${context.project}@${context.ref ?? ""}`
    : context.kind;
}

/** What `$VAR`, `${VAR}` and `%VAR%` become where no variables are available: nothing. */
export function blankVariables(text: string): string {
  return text.replace(
    /\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|%([A-Za-z_][A-Za-z0-9_]*)%/g,
    "",
  );
}
