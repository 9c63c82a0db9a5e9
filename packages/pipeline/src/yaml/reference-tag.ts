import type { SourcePosition } from "../diagnostics.js";

/**
 * A `!reference [job, key, ...]` tag as loaded, before `resolveReferences` replaces it.
 *
 * GitLab checks a reference only when it resolves it (`Tags::Reference#valid?`: the tag must be
 * a non-empty sequence of strings), so a malformed tag loads fine and fails later, and only if
 * it is still in the merged configuration. `invalid` then holds GitLab's rendering of what was
 * written (Ruby `inspect` of the scalar, mapping or sequence) for the "is not valid" message,
 * and `path` is empty.
 */
export class ReferenceTag {
  constructor(
    readonly path: string[],
    readonly position: SourcePosition,
    readonly invalid?: string,
  ) {}
}
