import type { SourcePosition } from "../diagnostics.js";

/**
 * A failure while turning the YAML tree into values, with GitLab's message. The loader turns it
 * into a Diagnostic at the node being built.
 */
export class LoadError extends Error {
  /** Where the failing node starts; the builder fills it in. */
  position: SourcePosition | undefined;

  constructor(message: string) {
    super(message);
    this.name = "LoadError";
  }
}

/** Psych's `DisallowedClass`: `YAML.safe_load` permits only Symbol and GitLab's tag classes. */
export function disallowedClass(name: string): LoadError {
  return new LoadError(`Tried to load unspecified class: ${name}`);
}
